package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"innobot/assistant"
	"innobot/invite"
	"innobot/storage"
)

// demoEnterprises are made-up enterprises, one per kind of place, for trying the bot out.
var demoEnterprises = []storage.Enterprise{
	{ID: "demo-01", Name: "山西示范钢铁有限公司", Region: "盐湖区", Industry: "钢铁", Ownership: "民营企业", Helper: "王建国", HelperTel: "13800000001"},
	{ID: "demo-02", Name: "永济示范电机有限公司", Region: "永济市", Industry: "电机制造", Ownership: "混合制企业", Helper: "李红", HelperTel: "13800000002"},
	{ID: "demo-03", Name: "河津示范铝业有限公司", Region: "河津市", Industry: "有色金属冶炼", Ownership: "省属国企", Helper: "赵磊", HelperTel: "13800000003"},
	{ID: "demo-04", Name: "临猗示范果蔬食品有限公司", Region: "临猗县", Industry: "农副食品加工", Ownership: "民营企业", Helper: "陈静", HelperTel: "13800000004"},
	{ID: "demo-05", Name: "闻喜示范镁合金有限公司", Region: "闻喜县", Industry: "新材料·镁合金", Ownership: "民营企业", Helper: "周强", HelperTel: "13800000005"},
	{ID: "demo-06", Name: "运城开发区示范新能源汽车零部件有限公司", Region: "运城开发区", Industry: "新能源汽车零部件", Ownership: "外资企业", Helper: "孙敏", HelperTel: "13800000006"},
}

// demoGroup is a helper group already bound to its region, so group messages work at once.
var demoGroup = storage.Group{ID: "盐湖区帮扶群", Name: "盐湖区帮扶群", Region: "盐湖区", BoundBy: "demo"}

// demoCreator is who the demo's codes are made by.
const demoCreator = "demo"

// loadDemo adds the demo enterprises that are missing (keeping any bound liaison and answers
// of those already there), binds the demo group to the account, and issues a fresh code for each demo
// liaison and for a helper, a county clerk and the city office, printed with notice.
func loadDemo(ctx context.Context, store storage.Backend, key invite.Key, account string, now time.Time, ttl time.Duration, notice func(string) error) error {
	for _, e := range demoEnterprises {
		_, err := store.Enterprise(ctx, e.ID)
		if errors.Is(err, storage.ErrNotFound) {
			e.UpdatedAt = now
			err = store.PutEnterprise(ctx, e)
		}
		if err != nil {
			return fmt.Errorf("demo enterprise %s: %w", e.Name, err)
		}
	}
	g := demoGroup
	g.BoundAt, g.Account = now, account
	if err := store.PutGroup(ctx, g, storage.Answer{}); err != nil {
		return fmt.Errorf("demo group: %w", err)
	}
	type demoCode struct {
		inv  storage.Invite
		text string
	}
	var codes []demoCode
	for _, e := range demoEnterprises {
		codes = append(codes, demoCode{storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID}, fmt.Sprintf("演示联络人邀请码：绑定 %%s —【%s】（%s）", e.Name, e.Region)})
	}
	codes = append(codes,
		demoCode{storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"demo-01", "demo-04"}}, "演示对口帮扶人邀请码：绑定 %s —（负责山西示范钢铁、临猗示范果蔬食品）"},
		demoCode{storage.Invite{Role: storage.RoleCounty, Region: "盐湖区"}, "演示县级工作人员邀请码：绑定 %s —（盐湖区）"},
		demoCode{storage.Invite{Role: storage.RoleCityOffice}, "演示市办工作人员邀请码：绑定 %s —（全市）"},
	)
	// The codes of an earlier demo stop working: each run prints fresh ones, and staff codes
	// are capped.
	live, err := assistant.LiveInvites(ctx, store, now)
	if err != nil {
		return err
	}
	var earlier []string
	for _, inv := range live {
		if inv.CreatedBy == demoCreator {
			earlier = append(earlier, inv.Hash)
		}
	}
	if _, err := store.RevokeInvites(ctx, earlier, now); err != nil {
		return fmt.Errorf("revoke earlier demo codes: %w", err)
	}
	for _, c := range codes {
		c.inv.CreatedBy = demoCreator
		code, err := assistant.IssueInvite(ctx, store, key, c.inv, now, ttl, nil)
		if err != nil {
			return err
		}
		if err := notice(fmt.Sprintf(c.text, code)); err != nil {
			return err
		}
	}
	return notice(fmt.Sprintf("演示帮扶群：%s（已绑定盐湖区），在群里发“%s/名字: @创新助手 进度”", demoGroup.Name, demoGroup.Name))
}
