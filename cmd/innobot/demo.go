package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"innobot/bot"
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

// loadDemo adds the demo enterprises that are missing (keeping any bound liaison and answers
// of those already there) and issues a fresh liaison code for each, printed with notice.
func loadDemo(ctx context.Context, store storage.Store, now time.Time, ttl time.Duration, notice func(string) error) error {
	for _, e := range demoEnterprises {
		_, err := store.Enterprise(ctx, e.ID)
		if errors.Is(err, storage.ErrNotFound) {
			e.UpdatedAt = now
			err = store.PutEnterprise(ctx, e)
		}
		if err != nil {
			return fmt.Errorf("demo enterprise %s: %w", e.Name, err)
		}
		code, err := bot.IssueInvite(ctx, store, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "demo"}, now, ttl)
		if err != nil {
			return err
		}
		if err := notice(fmt.Sprintf("演示联络人邀请码：绑定 %s —【%s】（%s）", code, e.Name, e.Region)); err != nil {
			return err
		}
	}
	return nil
}
