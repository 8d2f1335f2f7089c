package main

import "casetrack/workflow"

// The demo's world (GLOSSARY.md): the Bishan cloud-rail line, the operator
// who reports its stations' problems, the district government office that
// coordinates, and the four departments that fix them.

// demoDepartment is a department of the demo with its head and its officer,
// who sign in as CODE.head and CODE.officer.
type demoDepartment struct {
	workflow.Department
	head, officer demoPerson
}

// demoPerson is who a demo user is.
type demoPerson struct{ name, email, locale string }

// demoDepartments are the four departments that meet about the stations.
func demoDepartments() []demoDepartment {
	return []demoDepartment{
		{workflow.Department{Code: "transport", Name: "区交通局", Email: "transport@bishan.example.gov.cn"},
			demoPerson{"区交通局 赵刚（副局长）", "zhaogang@bishan.example.gov.cn", "zh-CN"},
			demoPerson{"区交通局 孙悦（运输管理科）", "sunyue@bishan.example.gov.cn", "en"}},
		{workflow.Department{Code: "ndrc", Name: "区发展改革委", Email: "ndrc@bishan.example.gov.cn"},
			demoPerson{"区发展改革委 钱伟（副主任）", "qianwei@bishan.example.gov.cn", "zh-CN"},
			demoPerson{"区发展改革委 李娜（价格科）", "lina@bishan.example.gov.cn", "zh-CN"}},
		{workflow.Department{Code: "police", Name: "区公安局", Email: "police@bishan.example.gov.cn"},
			demoPerson{"区公安局 吴强（交巡警支队副支队长）", "wuqiang@bishan.example.gov.cn", "zh-CN"},
			demoPerson{"区公安局 郑磊（交巡警支队）", "zhenglei@bishan.example.gov.cn", "zh-CN"}},
		{workflow.Department{Code: "citymgmt", Name: "区城市管理局", Email: "citymgmt@bishan.example.gov.cn"},
			demoPerson{"区城市管理局 冯军（副局长）", "fengjun@bishan.example.gov.cn", "zh-CN"},
			demoPerson{"区城市管理局 何静（市容环卫科）", "hejing@bishan.example.gov.cn", "zh-CN"}},
	}
}

// demoUsers returns the district's users and each department's head and officer.
func demoUsers(departments []demoDepartment) []demoUser {
	users := []demoUser{
		{"admin", demoPerson{"区政府办公室信息科 陈志远", "chenzhiyuan@bishan.example.gov.cn", "en"}, []workflow.Grant{{Role: workflow.RoleAdmin}}},
		{"coordinator", demoPerson{"区政府办公室 王丽华（协调办）", "wanglihua@bishan.example.gov.cn", "zh-CN"}, []workflow.Grant{{Role: workflow.RoleCoordinator}}},
		{"viewer", demoPerson{"区政府 刘志强（分管副区长）", "liuzhiqiang@bishan.example.gov.cn", "zh-CN"}, []workflow.Grant{{Role: workflow.RoleViewer}}},
		{"operator", demoPerson{"重庆云巴运营管理有限公司 周敏", "zhoumin@yunba.example.com", "zh-CN"}, []workflow.Grant{{Role: workflow.RoleReporter}}},
	}
	for _, d := range departments {
		users = append(users,
			demoUser{d.Code + ".head", d.head, []workflow.Grant{{Role: workflow.RoleDeptHead, Department: d.Code}}},
			demoUser{d.Code + ".officer", d.officer, []workflow.Grant{{Role: workflow.RoleDeptOfficer, Department: d.Code}}})
	}
	return users
}

// Shorthands for the case stories.
const (
	lead     = workflow.RoleLead
	support  = workflow.RoleSupport
	internal = workflow.VisibilityInternal
	public   = workflow.VisibilityPublic
)

// coordinates returns a location's latitude and longitude.
func coordinates(lat, lng float64) (*float64, *float64) { return &lat, &lng }

// demoCases are the station problems of the cloud-rail line, one in each
// state a coordinator meets: awaiting triage, triaged, dispatched and
// overdue, in progress, waiting on an extension, completed and awaiting
// confirmation, closed with a rating, reopened after a poor rating, rejected.
func demoCases() []demoCase {
	shapoLat, shapoLng := coordinates(29.5921, 106.2193)
	return []demoCase{
		{
			filed: on(-34, 9, 12), by: "operator",
			in: workflow.NewCase{
				Title:       "沙坡站站前广场电动自行车乱停乱放",
				Description: "云巴沙坡站开通以来，站前广场及出入口周边电动自行车、共享单车停放无序，早晚高峰占用盲道和疏散通道，乘客进出站需绕行，存在安全隐患。建议划设非机动车停放区并加强巡查。",
				Category:    "停放秩序",
				Location:    workflow.Location{Address: "璧山区沙坡站站前广场", Lat: shapoLat, Lng: shapoLng},
				Priority:    workflow.PriorityHigh,
			},
			steps: []demoStep{
				{on(-34, 11, 20), "coordinator", onCase(workflow.Triage{})},
				{on(-34, 15, 0), "coordinator", dispatch("citymgmt", lead, "请区城市管理局牵头，在站前广场划设非机动车停放区，清理占用盲道车辆，并建立常态化巡查机制。")},
				{on(-34, 15, 5), "coordinator", dispatch("police", support, "请区公安局交巡警支队配合，早晚高峰对出入口违停车辆加强劝导。")},
				{on(-33, 9, 15), "citymgmt.officer", onAssignment("citymgmt", workflow.Accept{})},
				{on(-33, 10, 30), "police.officer", onAssignment("police", workflow.Accept{})},
				{on(-32, 16, 40), "citymgmt.officer", onAssignment("citymgmt", workflow.Progress{Note: "已完成现场踏勘，拟在广场东侧划设停放区约120个车位，施划方案已报局领导审定。"})},
				{on(-31, 9, 5), "coordinator", comment(internal, "此事群众反映集中，请城管局本周内完成施划，公安局做好配合。")},
				{on(-30, 10, 20), "police.officer", onAssignment("police", workflow.Progress{Note: "已在早晚高峰安排警力驻点劝导，累计劝离违停电动自行车46辆。"})},
				{on(-29, 17, 0), "police.head", onAssignment("police", workflow.Complete{Resolution: "高峰时段劝导已形成常态，出入口违停明显减少，后续纳入日常巡逻。"})},
				{on(-28, 16, 30), "citymgmt.officer", onAssignment("citymgmt", workflow.Progress{Note: "停放区标线已施划完毕，设置引导标识牌4块。"})},
				{on(-27, 10, 0), "citymgmt.head", onAssignment("citymgmt", workflow.Complete{Resolution: "站前广场已划设非机动车停放区126个车位，盲道及疏散通道已清理，建立每日两次巡查制度。"})},
				{on(-26, 9, 30), "coordinator", onAssignment("police", workflow.Confirm{})},
				{on(-26, 9, 35), "coordinator", onAssignment("citymgmt", workflow.Confirm{})},
				{on(-25, 14, 0), "operator", onCase(workflow.Rate{Score: 4, Comment: "停放秩序明显改善，希望保持巡查频次。"})},
			},
		},
		{
			filed: on(-31, 8, 45), by: "operator",
			in: workflow.NewCase{
				Title:       "秀湖公园站出口人行信号灯绿灯时间过短",
				Description: "秀湖公园站出站口对面人行横道信号灯行人绿灯仅15秒，老人和带小孩的游客来不及通过，高峰时段行人滞留路中。请调整信号配时。",
				Category:    "交通安全",
				Location:    workflow.Location{Address: "璧山区秀湖公园站出口（璧山大道）"},
				Priority:    workflow.PriorityHigh,
			},
			steps: []demoStep{
				{on(-31, 10, 0), "coordinator", onCase(workflow.Triage{})},
				{on(-31, 10, 30), "coordinator", dispatch("police", lead, "请区公安局交巡警支队评估该路口信号配时，延长行人绿灯时间，必要时增设行人二次过街设施。")},
				{on(-30, 9, 0), "police.officer", onAssignment("police", workflow.Accept{})},
				{on(-28, 15, 0), "police.officer", onAssignment("police", workflow.Progress{Note: "已现场观测早晚高峰行人流量，拟将行人绿灯由15秒调整为25秒。"})},
				{on(-27, 11, 0), "police.head", onAssignment("police", workflow.Complete{Resolution: "已将行人绿灯时间调整为25秒，并增设行人倒计时显示。"})},
				{on(-26, 10, 0), "coordinator", onAssignment("police", workflow.Confirm{})},
				{on(-24, 9, 40), "operator", onCase(workflow.Rate{Score: 2, Comment: "周末游客高峰时段仍有行人滞留路中，倒计时显示器未正常工作，不满意。"})},
				{on(-23, 10, 15), "coordinator", comment(internal, "评价不满意，请交巡警支队复核周末时段配时方案，待方案明确后重新派单。")},
			},
		},
		{
			filed: on(-28, 9, 20), by: "operator",
			in: workflow.NewCase{
				Title:       "刘家嘴站周边道路缺少人行横道和交通信号灯",
				Description: "刘家嘴站出入口位于双向四车道道路一侧，对面居民区的乘客需横穿道路进站，现场无人行横道、无信号灯，车速较快，存在较大安全隐患。",
				Category:    "交通设施",
				Location:    workflow.Location{Address: "璧山区刘家嘴站出入口"},
				Priority:    workflow.PriorityUrgent,
			},
			steps: []demoStep{
				{on(-28, 9, 50), "coordinator", onCase(workflow.Triage{})},
				{on(-27, 10, 0), "coordinator", dispatchBy("police", lead, "请区公安局牵头，在刘家嘴站出入口处施划人行横道并设置行人过街信号灯。", on(1, 18, 0))},
				{on(-27, 10, 5), "coordinator", dispatchBy("transport", support, "请区交通局配合完成道路标线施划及信号灯基础施工。", on(1, 18, 0))},
				{on(-26, 9, 20), "police.officer", onAssignment("police", workflow.Accept{})},
				{on(-26, 14, 0), "transport.officer", onAssignment("transport", workflow.Accept{})},
				{on(-20, 16, 0), "police.officer", onAssignment("police", workflow.Progress{Note: "已完成现场勘察和交通组织设计，人行横道及信号灯点位已确定。"})},
				{on(-12, 11, 30), "transport.officer", onAssignment("transport", workflow.Progress{Note: "人行横道标线已施划完成，信号灯基础已浇筑。"})},
				{on(-7, 9, 0), "coordinator", comment(internal, "请公安局抓紧信号灯安装，确保按期完成。")},
				{on(-3, 15, 30), "police.head", requestExtension("police", on(20, 18, 0), "信号灯设备需走政府采购程序，供货周期约三周，申请延期至下月中旬完成安装调试。")},
			},
		},
		{
			filed: on(-24, 10, 5), by: "operator",
			in: workflow.NewCase{
				Title:       "刘家嘴站等三个站点路侧护栏阻断行人通行",
				Description: "刘家嘴站等三个站点出入口外侧道路设有连续护栏，乘客出站后无法直接到达对面公交站和居民区，需绕行300米以上，部分乘客翻越护栏。建议在出入口对应位置开口并完善过街设施。",
				Category:    "交通设施",
				Location:    workflow.Location{Address: "璧山区刘家嘴站等三个站点出入口"},
				Priority:    workflow.PriorityHigh,
			},
			steps: []demoStep{
				{on(-24, 14, 0), "coordinator", onCase(workflow.Triage{})},
				{on(-23, 9, 30), "coordinator", dispatchBy("transport", lead, "请区交通局牵头，对刘家嘴站等三个站点出入口外侧护栏进行改造，开设行人通道并完善过街设施。", on(7, 18, 0))},
				{on(-23, 9, 35), "coordinator", dispatchBy("police", support, "请区公安局配合做好护栏开口处的交通组织和标志标线设置。", on(7, 18, 0))},
				{on(-22, 10, 10), "transport.head", onAssignment("transport", workflow.Accept{})},
				{on(-22, 11, 0), "police.officer", onAssignment("police", workflow.Accept{})},
				{on(-17, 16, 20), "transport.officer", onAssignment("transport", workflow.Progress{Note: "已完成三个站点现场踏勘：刘家嘴站需拆除护栏约40米，另两个站点各约25米，改造方案已征求交巡警支队意见。"})},
				{on(-10, 15, 0), "transport.officer", onAssignment("transport", workflow.Progress{Note: "刘家嘴站护栏已拆除并开设行人通道，正在施划人行横道。"})},
				{on(-6, 10, 40), "police.officer", onAssignment("police", workflow.Progress{Note: "刘家嘴站开口处已设置减速让行标志和人行横道预告标线。"})},
				{on(-3, 17, 10), "operator", comment(public, "刘家嘴站改造后乘客进站方便多了，另外两个站点请尽快实施。")},
				{on(-2, 9, 45), "transport.officer", onAssignment("transport", workflow.Progress{Note: "另两个站点护栏改造已进场施工，预计下周完成。"})},
			},
		},
		{
			filed: on(-21, 15, 30), by: "operator",
			in: workflow.NewCase{
				Title:       "云巴沿线站点缺少接驳小巴，秀湖公园、汽车露营地等站换乘不便",
				Description: "云巴沿线十一个站点中多数距离居民区和景区较远，尤其秀湖公园站、汽车露营地站周边无公交线路，乘客出站后需步行1公里以上。建议开通串联十一个站点的接驳小巴线路。",
				Category:    "公共交通",
				Location:    workflow.Location{Address: "璧山区秀湖公园站、汽车露营地站等11个站点"},
				Priority:    workflow.PriorityNormal,
			},
			steps: []demoStep{
				{on(-21, 16, 40), "coordinator", onCase(workflow.Triage{})},
				{on(-20, 10, 0), "coordinator", dispatch("ndrc", lead, "请区发展改革委牵头研究接驳小巴线路开通方案及运营补贴。")},
				{on(-19, 11, 0), "ndrc.head", onAssignment("ndrc", workflow.Decline{ReasonCode: "not_our_function",
					Reason: "公交线路开通及运营属区交通局职能，我委负责票价核定和补贴资金审核，建议改由区交通局主办、我委协办。"})},
				{on(-19, 15, 0), "coordinator", dispatchBy("transport", lead, "请区交通局牵头制定串联11个站点的接驳小巴线路方案，明确站点、班次和运营主体，按期开通试运行。", on(9, 18, 0))},
				{on(-19, 15, 5), "coordinator", dispatchBy("ndrc", support, "请区发展改革委配合完成票价核定及运营补贴测算。", on(9, 18, 0))},
				{on(-18, 9, 0), "transport.officer", onAssignment("transport", workflow.Accept{})},
				{on(-18, 10, 0), "ndrc.officer", onAssignment("ndrc", workflow.Accept{})},
				{on(-14, 17, 0), "transport.officer", onAssignment("transport", workflow.Progress{Note: "已完成线路踏勘，初定线路串联沙坡站、刘家嘴站、秀湖公园站、汽车露营地站等11个站点，全程约18公里。"})},
				{on(-9, 11, 20), "ndrc.officer", onAssignment("ndrc", workflow.Progress{Note: "票价初定为2元/人次，运营补贴测算已完成，待区政府常务会审议。"})},
				{on(-5, 16, 0), "transport.officer", onAssignment("transport", workflow.Progress{Note: "已确定运营企业，投入6辆新能源小巴，计划下周开始试运行。"})},
				{on(-4, 10, 30), "operator", comment(public, "建议首班车时间与云巴首班车衔接，早上6:30前发车。")},
				{on(-2, 14, 15), "transport.officer", comment(public, "已采纳，首班车定于6:20从沙坡站发车，末班车与云巴末班车衔接。")},
			},
		},
		{
			filed: on(-16, 11, 0), by: "operator",
			in: workflow.NewCase{
				Title:       "沙坡站站厅自动售票机故障频繁",
				Description: "沙坡站站厅两台自动售票机近一周多次出现卡币、无法出票，乘客排队时间长。",
				Category:    "站内设施",
				Location:    workflow.Location{Address: "璧山区沙坡站站厅"},
				Priority:    workflow.PriorityLow,
			},
			steps: []demoStep{
				{on(-15, 10, 0), "coordinator", onCase(workflow.Reject{Reason: "站内售票设备属运营企业自有设施，由重庆云巴运营管理有限公司自行维修，不属于区级部门职责。"})},
			},
		},
		{
			filed: on(-14, 9, 30), by: "operator",
			in: workflow.NewCase{
				Title:       "沙坡站站前广场环境卫生差，垃圾清运不及时",
				Description: "沙坡站站前广场垃圾桶数量不足，周末客流高峰后垃圾满溢，广场绿化带内有烟头和饮料瓶，影响云巴站点形象。",
				Category:    "市容环境",
				Location:    workflow.Location{Address: "璧山区沙坡站站前广场", Lat: shapoLat, Lng: shapoLng},
				Priority:    workflow.PriorityNormal,
			},
			steps: []demoStep{
				{on(-14, 10, 45), "coordinator", onCase(workflow.Triage{})},
				{on(-13, 9, 30), "coordinator", dispatchBy("citymgmt", lead, "请增设垃圾收集容器，将站前广场纳入环卫精细化保洁范围，周末增加清运频次。", on(1, 18, 0))},
				{on(-13, 14, 0), "citymgmt.officer", onAssignment("citymgmt", workflow.Accept{})},
				{on(-9, 16, 30), "citymgmt.officer", onAssignment("citymgmt", workflow.Progress{Note: "已新增分类垃圾桶8组，周末保洁由一次增加为三次。"})},
				{on(-5, 18, 20), "operator", comment(public, "本周末广场卫生明显改善，感谢城管局。")},
				{on(-2, 11, 0), "citymgmt.head", onAssignment("citymgmt", workflow.Complete{Resolution: "站前广场新增分类垃圾桶8组，纳入一级保洁区域，周末清运频次增至每日三次，绿化带已清理。"})},
			},
		},
		{
			filed: on(-11, 10, 20), by: "operator",
			in: workflow.NewCase{
				Title:       "云巴轨道与道路交叉处缺少警示标志和防撞设施",
				Description: "云巴轨道在沙坡站至刘家嘴站区间与多条道路交叉，部分路口无轨道交通警示标志，桥墩周边无防撞墩和反光标识，夜间视线差，已发生车辆剐蹭桥墩事件。",
				Category:    "交通安全",
				Location:    workflow.Location{Address: "璧山区沙坡站至刘家嘴站区间道路交叉口"},
				Priority:    workflow.PriorityUrgent,
			},
			steps: []demoStep{
				{on(-11, 15, 0), "coordinator", onCase(workflow.Triage{})},
				{on(-10, 10, 0), "coordinator", dispatch("transport", lead, "请区交通局牵头，对区间道路交叉口逐一排查，增设警示标志、防撞墩和反光设施，并报送排查清单。")},
				{on(-1, 9, 30), "coordinator", onAssignment("transport", workflow.Urge{Note: "该件已超期未签收，请区交通局今日内签收并反馈排查计划。"})},
			},
		},
		{
			filed: on(-4, 19, 10), by: "operator",
			in: workflow.NewCase{
				Title:       "汽车露营地站B出口步道夜间照明不足",
				Description: "汽车露营地站B出口至露营地停车场约200米步道无路灯，晚上8点后一片漆黑，游客只能打手机电筒通行，存在安全隐患。",
				Category:    "市容环境",
				Location:    workflow.Location{Address: "璧山区汽车露营地站B出口"},
				Priority:    workflow.PriorityNormal,
			},
			steps: []demoStep{
				{on(-3, 9, 40), "coordinator", onCase(workflow.Triage{})},
				{on(-3, 9, 45), "coordinator", comment(internal, "拟由区城市管理局主办，待确认步道权属后派单。")},
			},
		},
		{
			filed: on(-1, 16, 20), by: "operator",
			in: workflow.NewCase{
				Title:       "秀湖公园站广场电动自行车占用盲道",
				Description: "秀湖公园站站前广场周末游客多，电动自行车沿盲道停放，视障乘客无法通行，出入口也被部分堵塞。",
				Category:    "停放秩序",
				Location:    workflow.Location{Address: "璧山区秀湖公园站站前广场"},
				Priority:    workflow.PriorityNormal,
			},
		},
	}
}
