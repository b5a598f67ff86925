package redistest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill redis-server when the test process dies, so that a
// test binary killed by a timeout leaves no server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
