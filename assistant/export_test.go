package assistant

// CommandNames lists the command table's words, for tests that try every command.
func CommandNames(s *Service) []string {
	var names []string
	for _, c := range s.commandTable() {
		names = append(names, c.name)
	}
	return names
}
