package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SeedDemo fills an empty database with demo groups, members and threads. It does
// nothing and returns false when any group exists.
//
// The demo people are local-mode identities: in local mode a developer signs in as
// "alice", "dr-rivera" or "admin" on /auth/local and finds their seeded memberships.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	seeded := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Group{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := s.seedDemo(tx, s.now()); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another instance seeded the same empty database at the same moment.
		var n int64
		if cerr := s.db.WithContext(ctx).Model(&Group{}).Count(&n).Error; cerr == nil && n > 0 {
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("models: seed demo: %w", err)
	}
	return seeded, nil
}

// seedAdmin owns every demo group.
const seedAdmin = "admin"

const seedDay = 24 * time.Hour

// seedPerson is a demo identity: a local-mode name, a site role and, for clinicians,
// the credential an admin has verified.
type seedPerson struct {
	Name      string
	Role      string
	Clinician *Clinician // credential fields only
}

var seedPeople = []seedPerson{
	{Name: seedAdmin, Role: RoleAdmin},
	{Name: "alice", Role: RoleMember},
	{Name: "ben", Role: RoleMember},
	{Name: "chen", Role: RoleMember},
	{Name: "dana", Role: RoleMember},
	{Name: "eli", Role: RoleMember},
	{Name: "farah", Role: RoleMember},
	{Name: "gus", Role: RoleMember},
	{Name: "hana", Role: RoleMember},
	{Name: "ivan", Role: RoleMember},
	{Name: "jo", Role: RoleMember},
	{Name: "dr-rivera", Role: RoleClinician, Clinician: &Clinician{DisplayName: "Dr. A. Rivera", Credential: "MD",
		Specialty: "Endocrinology", Jurisdiction: "US-CA", LicenseNumber: "DEMO-0001", Status: "verified"}},
	{Name: "nurse-okafor", Role: RoleClinician, Clinician: &Clinician{DisplayName: "N. Okafor", Credential: "RN",
		Specialty: "Respiratory nursing", Jurisdiction: "GB", LicenseNumber: "DEMO-0002", Status: "verified"}},
}

// seedGroup is a demo group with its members and threads. The admin owns every group
// and need not be listed.
type seedGroup struct {
	Slug, Name, Visibility string
	Description, Rules     string
	Moderator              string   // one of Members
	Members                []string // demo people, each under a fresh pseudonym
	Threads                []seedThread
}

// seedThread is a thread; its first post opens it.
type seedThread struct {
	Title string
	Kind  string
	Ago   time.Duration // how long before the seeding the opening post was written
	Posts []seedPost
}

// seedPost is one post, written After the previous post of its thread.
type seedPost struct {
	By                         string // a member of the group
	AsClinician                bool   // in the clinician voice: the credential, not the pseudonym
	After                      time.Duration
	Warning                    string // content warning
	Support, Helpful, SameHere int
	Body                       string
}

// seedRules are the rules every patient group shares; each group adds its own first.
const seedRules = `2. Share experience, not prescriptions. Say what worked for you; never tell someone to start, stop or change a treatment. Those decisions belong with their own care team.
3. Protect privacy, yours and everyone else's: no real names, phone numbers, addresses or photos of letters and records.
4. No selling. Supplements, "cures" and referral links are removed.
5. If you are struggling right now, the crisis page at /crisis lists who to call where you are, day or night. Then, if you can, tell a moderator.`

var seedGroups = []seedGroup{
	{
		Slug: "type-2-diabetes", Name: "Type 2 diabetes", Visibility: VisibilityOpen,
		Description: "For anyone living with type 2 diabetes, whether you were diagnosed last week or decades ago: food, medication, numbers, the tiredness, and the guilt nobody talks about. Ask anything, share what works for you, and be gentle with the days when nothing does.",
		Rules:       "1. Be kind. Everyone here is managing something, and nobody manages it perfectly. No food-shaming, no number-shaming.\n" + seedRules,
		Moderator:   "dana",
		Members:     []string{"alice", "ben", "dana", "gus", "ivan", "dr-rivera"},
		Threads: []seedThread{
			{Title: "Just diagnosed and honestly a bit scared", Kind: KindDiscussion, Ago: 19*seedDay + 6*time.Hour, Posts: []seedPost{
				{By: "ivan", Support: 5, Body: `Got the call from my GP surgery yesterday: type 2, HbA1c of 62. My dad had it, so I suppose I shouldn't be surprised, but I sat in the car for twenty minutes before I could drive home.

They've given me metformin, a leaflet and a referral to an education course that doesn't start for weeks. Right now my head is full of everything I've read online at 2am. Feet, eyes, kidneys.

How did you all get through the first month? Is it normal to feel this rattled?`},
				{By: "alice", After: 2*time.Hour + 10*time.Minute, Support: 3, Helpful: 4, Body: `It's completely normal. I cried in a supermarket car park the week I was diagnosed, so you're in good company.

What helped me in the first month:

- **Stopping the 2am searching.** Most of what comes up is worst-case and out of date.
- Writing my questions down as they came, and taking the list to the practice nurse.
- Changing *one* thing at a time. I started by swapping my fizzy drinks, nothing else, for two weeks.

It gets less loud, I promise. Three years on it's just part of my week, like putting the bins out.`},
				{By: "dana", After: 5 * time.Hour, Helpful: 2, Body: `Welcome, and I'm glad you found us. That list above is spot on.

If you want something calmer than late-night searching, the [NHS type 2 diabetes pages](https://www.nhs.uk/conditions/type-2-diabetes/) are plain and sensible, and a good place to start your list of questions.

The education course is worth the wait, by the way. It was the first time I met other people with diabetes in real life, and it took a lot of the shame out of it for me.`},
				{By: "gus", After: seedDay + 3*time.Hour, Support: 2, Body: `Rattled is the right word. Mine was found at a routine check and I felt like I'd been caught out at something. Eight years later my numbers are mostly fine and I've learned to cook properly, which my wife says is the best side effect. Be patient with yourself.`},
				{By: "ivan", After: 9 * time.Hour, Body: `Thank you, all of you. I read this on my lunch break and felt my shoulders drop for the first time this week. I've booked in with the practice nurse and started the list. Fizzy drinks are first to go.`},
			}},
			{Title: "Metformin and my stomach: does it settle down?", Kind: KindQuestion, Ago: 12*seedDay + 3*time.Hour, Posts: []seedPost{
				{By: "ben", SameHere: 3, Body: `Three weeks on metformin and my stomach is not happy. Cramps after breakfast, and I'm planning my mornings around where the nearest toilet is, which is not a sentence I ever thought I'd write on the internet.

Does this calm down for most people? I don't want to just stop taking it, but I can't keep doing the school run like this either.`},
				{By: "gus", After: 3 * time.Hour, Body: `Same here in the first month. It did settle for me, and what made the biggest difference was taking it in the middle of a meal rather than before. Worth mentioning to your surgery though; don't just put up with it.`},
				{By: "dr-rivera", AsClinician: true, After: 7 * time.Hour, Helpful: 5, Body: `Thanks for asking this. It's one of the most common things people notice when they start metformin, so you are far from alone.

In general terms:

- Stomach upset (cramps, loose stools, feeling sick) is a **very common** early side effect, and for many people it eases over the first few weeks.
- Taking it **with or just after food**, and building the dose up slowly, helps a lot of people.
- There is a **modified-release** (slow-release) form that many people find gentler. Whether to switch is a decision for your prescriber, so it's worth asking.

Please contact your practice promptly if you are being sick and can't keep fluids down, or if you feel very unwell. I can't advise on your own dose from here, but this is exactly what your GP or diabetes nurse will want to hear about.`},
				{By: "ben", After: seedDay + 2*time.Hour, Body: `Thank you, both. I rang the surgery and they're moving me to the slow-release version. Good to know it isn't just me being dramatic.`},
			}},
			{Title: "Small wins thread", Kind: KindDiscussion, Ago: 8*seedDay + 5*time.Hour, Posts: []seedPost{
				{By: "dana", Support: 4, Body: `Diabetes talk can get heavy, so here's a thread for small wins only. No win is too small.

I'll start: I walked to the shop and back three days in a row this week, and on the third day I noticed I wasn't out of breath on the hill. **Tiny, but mine.**`},
				{By: "alice", After: time.Hour + 20*time.Minute, Body: `I had a meal out with friends and didn't spend the whole time calculating. Ordered something sensible and actually enjoyed the company.`},
				{By: "ivan", After: 4 * time.Hour, Support: 3, Body: `Went to the education course. I sat next to a retired bus driver who has had diabetes for twenty years and has the best sense of humour. Left feeling like this is something people *live* with, not just get through.`},
				{By: "gus", After: seedDay + time.Hour, Body: `Foot check at the nurse: all good. I was more nervous about that than I let on.`},
				{By: "ben", After: 6 * time.Hour, Support: 4, Body: `Stomach has finally calmed down on the new tablets. Did the whole school run without a single detour. 🎉`},
			}},
			{Title: "How do you handle family meals when everyone has opinions?", Kind: KindDiscussion, Ago: 2*seedDay + 20*time.Hour, Posts: []seedPost{
				{By: "alice", SameHere: 3, Body: `Sunday lunch at my in-laws' is becoming a minefield. Half the table watches my plate and comments ("should you be having that?"), and my mother-in-law makes "special" separate food that honestly makes me feel like a patient at my own family's table.

They mean well. I know they mean well. How do you handle it without starting a row?`},
				{By: "dana", After: 2*time.Hour + 45*time.Minute, Helpful: 3, Body: `Oh, the plate-watching. I had one line I'd repeat calmly: *"Thanks, I've got it in hand, and I'd rather we talk about something else."* It took about four Sundays, but it worked.

For the special food, could you offer to bring a dish everyone can eat? Then it's a contribution, not a diet.`},
				{By: "ben", After: 5*time.Hour + 30*time.Minute, Body: `Bringing a dish is a great shout. I did that at Christmas: a big tray of roast veg with feta, and it was gone before the potatoes. Nobody said the word diabetes once.`},
			}},
		},
	},
	{
		Slug: "long-covid", Name: "Long COVID", Visibility: VisibilityOpen,
		Description: "For people whose COVID never really left: fatigue, breathlessness, brain fog, and the crashes that come after doing too much. Whether it has been months or years, you are believed here. Come for pacing tips, work questions, or just to be understood.",
		Rules:       "1. Be kind, and believe each other. Symptoms vary enormously; nobody here has to prove how ill they are.\n" + seedRules,
		Moderator:   "chen",
		Members:     []string{"alice", "chen", "eli", "hana", "jo", "dr-rivera", "nurse-okafor"},
		Threads: []seedThread{
			{Title: "Pacing: how do you actually do it?", Kind: KindQuestion, Ago: 18*seedDay + 4*time.Hour, Posts: []seedPost{
				{By: "hana", SameHere: 4, Body: `Everyone says "pace yourself" like it's obvious. My physio says it, my GP says it, my sister says it every time she phones.

But on a good day I feel almost normal, so I do the washing, the shopping and call a friend, and then I'm flat in bed for three days. How do you actually *do* pacing, day to day? What does it look like in your house?`},
				{By: "jo", After: 3*time.Hour + 30*time.Minute, Helpful: 2, Body: `The boom and bust cycle is so real. What finally helped me was deciding the day's activities the night before, when I was calm, rather than in the moment when I felt good. And stopping *before* I felt tired, which felt ridiculous at first.`},
				{By: "chen", After: 6 * time.Hour, Helpful: 5, Body: `I use a really simple traffic-light list stuck to the fridge:

1. **Green:** fine most days (a short shower sitting down, an easy meal)
2. **Amber:** one of these a day at most (shopping, a phone call longer than half an hour)
3. **Red:** needs a rest day before and after (appointments, visitors)

It's not perfect, but it stops me negotiating with myself.`},
				{By: "nurse-okafor", AsClinician: true, After: seedDay + 2*time.Hour, Helpful: 4, Body: `Lovely practical answers here. In general terms, pacing usually means:

- Finding a **baseline**: what you can manage on a bad day without a crash, and starting from there rather than from your good days.
- Counting **all** activity, including thinking, talking and screens, not just physical effort.
- **Planned rest** before you need it, in short regular breaks.
- Increasing very gradually, and only once things have been stable for a while.

The NICE guideline on the long-term effects of COVID-19 covers this: [NICE NG188](https://www.nice.org.uk/guidance/ng188). If you get new chest pain, fainting or breathlessness that is getting worse, please get checked rather than pacing through it. I can't assess anyone individually here, but your own team can help you find your baseline.`},
				{By: "hana", After: 8 * time.Hour, Body: `This is so helpful, thank you. I've made a fridge list like the one above and I'm trying the "plan it the night before" idea. Day four and no crash yet.`},
			}},
			{Title: "Brain fog at work: what adjustments helped you?", Kind: KindQuestion, Ago: 11*seedDay + 2*time.Hour, Posts: []seedPost{
				{By: "eli", Body: `I'm back at work three days a week and the brain fog is the hardest part. I lose words mid-sentence in meetings, I read the same email four times, and I've started writing everything on sticky notes, which I then lose.

My manager is supportive and asked what adjustments would help, and I don't know what to ask for. What worked for you?`},
				{By: "alice", After: 4 * time.Hour, Helpful: 4, Body: `Things my employer agreed to that made a real difference:

- Meetings in the morning only, when my head is clearest
- Agendas sent beforehand so I can prepare notes
- Cameras off allowed on long calls
- A day working from home between office days

Writing it as a list for my manager made the conversation much easier.`},
				{By: "jo", After: 2 * time.Hour, Body: `Seconding the agendas. I also have a "quiet hour" blocked in my calendar where nobody books me. And I stopped apologising for checking my notes. People care much less than you think.`},
				{By: "chen", After: seedDay + 5*time.Hour, Helpful: 2, Body: `Something small: I keep a running **done list** as well as a to-do list. On foggy days it's proof to myself that I did get things done, which helps the confidence as much as the memory.`},
			}},
			{Title: "Two years in and I miss who I was", Kind: KindDiscussion, Ago: 6*seedDay + 7*time.Hour, Posts: []seedPost{
				{By: "jo", Support: 6, SameHere: 3, Body: `Not really a question. I just needed to put this somewhere.

I used to run. Nothing impressive, but every Saturday morning in the park, with a coffee after. Today I saw the group go past my window and I had to sit down on the stairs.

I'm grateful for what I can still do. I'm also allowed to miss what I can't, right?`},
				{By: "hana", After: time.Hour + 40*time.Minute, Support: 3, Body: `You're absolutely allowed. Both things can be true at once.

I miss dancing at weddings. I went to my cousin's in the summer and sat near the dance floor, and it was bittersweet, but I'm glad I went. Sending you a lot of warmth today.`},
				{By: "eli", After: 3 * time.Hour, Warning: "hospital stay", Support: 2, Body: `You're allowed. For me it was a week in hospital during the first winter. The ward staff were kind, and I lay there sure I'd be back to normal by spring. I'm not, and I've had to grieve the year I'd imagined.

What helped, slowly, was finding new small rituals. I sit in the park with a coffee on Saturday mornings now. Not the same, but it's mine.`},
				{By: "alice", After: 10 * time.Hour, Body: `Reading this with a lump in my throat. Missing your old life doesn't make you ungrateful. It shows how much it mattered.`},
				{By: "chen", After: seedDay + time.Hour, Support: 2, Body: `Thank you for writing this. Threads like this are a big part of why this group exists. Go gently today, everyone.`},
			}},
			{Title: "Heart racing when I stand up: anyone else?", Kind: KindQuestion, Ago: seedDay + 9*time.Hour, Posts: []seedPost{
				{By: "alice", Body: `Since a flare last month my heart races when I stand up, especially in the morning or after a hot shower. It settles if I sit back down. I have a GP appointment booked, but has anyone else had this with long COVID?`},
				{By: "chen", After: 2 * time.Hour, Helpful: 3, Body: `Yes, I had this. My GP did a simple lying-and-standing test and referred me on. Keep a note before your appointment of when it happens: time of day, what you were doing, how long it lasts. It made my appointment much more useful.`},
				{By: "hana", After: 5 * time.Hour, Body: `Same here. Getting up slowly, in stages, helps me: I sit on the edge of the bed for a minute first. Glad you've got the appointment booked; let us know how it goes if you feel like it.`},
			}},
		},
	},
	{
		Slug: "dementia-caregivers", Name: "Caregivers of people with dementia", Visibility: VisibilityClosed,
		Description: "For partners, children, grandchildren and friends caring for someone with dementia. Vent, ask, grieve the small losses and celebrate the good afternoons. This group is closed, so what is said here stays among members.",
		Rules:       "1. Be kind. There is no perfect carer here, only people doing their best on little sleep.\n" + seedRules + "\n\nWhat is shared here stays here: please don't repeat members' stories elsewhere.",
		Moderator:   "farah",
		Members:     []string{"ben", "farah", "gus", "hana"},
		Threads: []seedThread{
			{Title: "Sundowning: what helps in the late afternoon?", Kind: KindQuestion, Ago: 17*seedDay + 2*time.Hour, Posts: []seedPost{
				{By: "farah", SameHere: 3, Body: `My dad gets very unsettled from about four o'clock: pacing, asking to "go home" when he's in the house he has lived in for forty years, getting upset with me. Mornings are mostly lovely, which somehow makes the afternoons harder.

What has helped in your house?`},
				{By: "gus", After: 2*time.Hour + 30*time.Minute, Helpful: 3, Body: `We had the same with my wife. What helped most:

- **Curtains closed and lamps on** before it gets dark, so the change isn't sudden
- A quiet, familiar routine at the same time every day: a cup of tea, the same music
- Not arguing about "home". I started saying "we'll go soon, let's have a cuppa first", and often it passed

It doesn't fix it, but it takes the edge off.`},
				{By: "hana", After: 6 * time.Hour, Support: 2, Body: `The "going home" thing broke my heart the first time. Someone told me it's often about wanting to feel safe rather than about a place. Now I ask Mum to tell me about home, and she relaxes while she talks: her old kitchen, the garden, her sisters.`},
				{By: "ben", After: seedDay + 4*time.Hour, Helpful: 2, Body: `Music has been the big one for us. A playlist of songs from when my grandad was in his twenties. He knows every word, even on days he doesn't know mine.

The [Alzheimer's Society](https://www.alzheimers.org.uk/) website has a good page on sundowning too.`},
				{By: "farah", After: 9 * time.Hour, Body: `Thank you. I tried the lamps and the music today and it was a gentler evening than we've had in weeks. "Ask about home" is now on a sticky note on the fridge.`},
			}},
			{Title: "Mum didn't recognise me today", Kind: KindDiscussion, Ago: 9*seedDay + 6*time.Hour, Posts: []seedPost{
				{By: "hana", Support: 4, Body: `She was friendly and polite, and asked if I was the new carer. I smiled and said yes, I suppose I am. Then I sat in the car outside for a long time.

I knew this would come. I didn't know it would feel like this.`},
				{By: "farah", After: time.Hour + 15*time.Minute, Support: 2, Body: `I'm so sorry. That first time is its own kind of grief, and nothing really prepares you for it. You did exactly the right thing by going along with it gently. She was calm because of you.`},
				{By: "ben", After: 3 * time.Hour, Body: `Sending a big hug. For us it came and went: some days he called me by my dad's name, some days he knew me straight away. Please look after yourself tonight. Something warm, something easy, an early night.`},
				{By: "gus", After: seedDay, Support: 1, Body: `Your mum still feels safe with you, even when she can't place you. That matters more than the name. Thinking of you.`},
			}},
			{Title: "Respite care: did you feel guilty?", Kind: KindDiscussion, Ago: 4*seedDay + 3*time.Hour, Posts: []seedPost{
				{By: "ben", SameHere: 2, Body: `We've been offered a week of respite care for my grandad so my mum, his main carer, can have a break. She's exhausted. But she's already saying it feels like abandoning him.

If you've used respite, how did it go? Did the guilt ease?`},
				{By: "farah", After: 4 * time.Hour, Helpful: 3, Body: `The guilt came, and then it went. Dad was fine: a bit confused at first, then he enjoyed the company and the singalongs. I slept properly for the first time in months and came back a kinder carer.

**Resting is part of caring.** Tell your mum a room full of strangers said so.`},
				{By: "hana", After: 8 * time.Hour, Helpful: 2, Body: `What helped us: packing familiar things (a photo, his own blanket, a favourite mug) and writing a one-page "about me" sheet for the staff. What he likes to be called, what calms him, how he likes his toast.`},
			}},
			{Title: "Little things that still bring joy", Kind: KindDiscussion, Ago: 22 * time.Hour, Posts: []seedPost{
				{By: "gus", Support: 3, Body: `Let's make a list of things that still bring a smile to the people we care for. I'll start: my wife loves folding warm towels straight out of the dryer. She does it beautifully, and it makes her feel useful.`},
				{By: "hana", After: 2 * time.Hour, Body: `Mum loves looking through seed catalogues and choosing what we'll plant. We don't always plant them, but the choosing is the joy.`},
				{By: "farah", After: 3*time.Hour + 30*time.Minute, Body: `Dad and I do very simple jigsaws: big pieces, pictures of old cars. And he still beats me at dominoes.`},
				{By: "ben", After: 4 * time.Hour, Support: 2, Body: `Old football highlights. Grandad narrates them better than the commentators.`},
			}},
		},
	},
	{
		Slug: "anxiety-and-panic", Name: "Anxiety and panic", Visibility: VisibilityClosed,
		Description: "Living with anxiety and panic attacks: the racing heart, the what-ifs, the avoiding. Share what helps you ride it out, and keep each other company on the days nothing does. The group is closed, so you can be honest.",
		Rules:       "1. Be kind, and never mock a fear. What looks small from outside can be huge from inside.\n" + seedRules,
		Moderator:   "eli",
		Members:     []string{"alice", "chen", "eli", "hana", "ivan", "jo"},
		Threads: []seedThread{
			{Title: "Grounding techniques that actually work for you?", Kind: KindQuestion, Ago: 20*seedDay + time.Hour, Posts: []seedPost{
				{By: "chen", Body: `I've read about a dozen grounding techniques, and in the moment I forget every one of them. What do you actually use when panic starts to build? The simpler the better.`},
				{By: "eli", After: time.Hour + 30*time.Minute, Helpful: 4, Body: `**5-4-3-2-1** is the one I can remember under pressure: five things I can see, four I can touch, three I can hear, two I can smell, one I can taste. Saying them quietly out loud works better for me than doing it in my head.`},
				{By: "jo", After: 4 * time.Hour, Helpful: 3, Body: `Cold water on my wrists, or holding something cold. It's so physical that my brain has to pay attention to it. I keep a metal water bottle in my bag for exactly this.`},
				{By: "alice", After: 9 * time.Hour, Helpful: 3, Body: `Slow breathing with a longer out-breath than in-breath: in for four, out for six. And telling myself, *"This is panic. It's horrible, and it passes."* It has passed every single time so far.`},
				{By: "ivan", After: seedDay + 2*time.Hour, Body: `Writing all of these down. I tried the cold water trick on the train yesterday and it helped more than I expected.`},
			}},
			{Title: "First panic attack at work, so embarrassed", Kind: KindDiscussion, Ago: 13*seedDay + 8*time.Hour, Posts: []seedPost{
				{By: "ivan", SameHere: 4, Body: `Had my first proper panic attack at work today, in the middle of a team meeting. Chest tight, hands shaking, and I had to leave the room. A colleague found me in the stairwell and was kind about it, but now I'm dreading going back tomorrow. Everyone saw.`},
				{By: "jo", After: 2*time.Hour + 20*time.Minute, Support: 3, Body: `Honestly, most people in that meeting were probably more worried about you than judging you. The colleague who came to find you already showed you how people see it. Going back is the hardest part, and then it gets easier.`},
				{By: "eli", After: 5 * time.Hour, Helpful: 3, Body: `That sounds really frightening, and it took courage to post about it. It might help to decide now what you'll say if anyone asks, something short like *"I wasn't well, I'm OK now, thanks for asking."* You don't owe anyone more than that.`},
				{By: "chen", After: seedDay + 6*time.Hour, Body: `How did today go? Whatever happened, you went back in, and that counts.`},
				{By: "ivan", After: 3 * time.Hour, Support: 4, Body: `It went OK. Two people asked, I used the short line, and that was it. Thank you for the push.`},
			}},
			{Title: "Starting therapy soon and nervous about what to say", Kind: KindDiscussion, Ago: 7*seedDay + 4*time.Hour, Posts: []seedPost{
				{By: "jo", Body: `After a long wait I have my first CBT session next week. I'm weirdly more anxious about the therapy than about the anxiety. What if I freeze? What if I say it all wrong?`},
				{By: "hana", After: 3 * time.Hour, Helpful: 2, Body: `You can't say it wrong. My therapist told me in the first session that freezing and going blank is completely normal and she'd seen it many times. It might help to jot down three things you want them to know, and hand over the note if the words won't come.`},
				{By: "alice", After: 6 * time.Hour, Body: `I was the same. The first session was mostly questions and getting to know each other, much gentler than I'd built it up to be. Good luck, and be proud you got to the top of the list.`},
				{By: "eli", After: seedDay + 3*time.Hour, Helpful: 3, Body: `Things I wish I'd known before starting:

1. It's fine to say "I don't know".
2. It's fine to ask what the plan for the sessions is.
3. The practice between sessions is where a lot of the change happens, even when it feels silly.

You've got this.`},
			}},
			{Title: "Supermarket win today", Kind: KindDiscussion, Ago: seedDay + 5*time.Hour, Posts: []seedPost{
				{By: "alice", Support: 5, Body: `I've been avoiding the big supermarket for months, sending my partner or ordering online. Today I went in. Heart pounding at the entrance, but I used the breathing and did the whole shop. I even queued at the till.

**I'm so proud of myself**, and I didn't know who else to tell.`},
				{By: "chen", After: 50 * time.Minute, Body: `That is a huge win. Avoidance is sneaky, and you just took back a whole building.`},
				{By: "ivan", After: 2 * time.Hour, Body: `Brilliant. Queuing at the till is the boss level.`},
				{By: "hana", After: 3 * time.Hour, Body: `So happy for you! I hope you bought yourself a treat while you were there.`},
				{By: "jo", After: 4 * time.Hour, Body: `This made my day. Proud of you.`},
			}},
		},
	},
	{
		Slug: "chronic-pain", Name: "Chronic pain", Visibility: VisibilityOpen,
		Description: "Fibromyalgia, back pain, arthritis, nerve pain, and pain that doesn't have a name yet. For anyone whose pain has outstayed its welcome: practical tips, honest bad days, and people who won't ask whether you've tried yoga unless you want them to.",
		Rules:       "1. Be kind, and believe each other's pain. Nobody here has to justify a bad day.\n" + seedRules,
		Moderator:   "ivan",
		Members:     []string{"ben", "dana", "farah", "gus", "ivan", "jo"},
		Threads: []seedThread{
			{Title: "Explaining invisible pain to people who don't get it", Kind: KindDiscussion, Ago: 16*seedDay + 5*time.Hour, Posts: []seedPost{
				{By: "farah", SameHere: 5, Body: `"But you look fine." If I had a pound for every time.

I have fibromyalgia. Some days I can walk to the shops; some days the weight of the duvet hurts. People see me on a good day and assume that's every day. How do you explain it without sounding like you're complaining?`},
				{By: "dana", After: 3 * time.Hour, Helpful: 3, Body: `**Spoon theory** has been the best explainer for me. I sent the original essay to my family and it changed how they talk to me. Searching for "spoon theory" finds it, and it's worth the read.`},
				{By: "jo", After: 5 * time.Hour, Body: `I've stopped trying to get everyone to understand. I explain properly to the few people who matter, and for everyone else "I'm having a sore day" is enough.`},
				{By: "gus", After: seedDay + 2*time.Hour, Helpful: 2, Body: `My go-to: "Pain is like weather for me, and today's forecast is bad." People seem to get weather.`},
				{By: "ivan", After: 7 * time.Hour, Support: 3, Body: `All good approaches. And you're not complaining by describing your reality. You're giving people the information they need to be decent to you.`},
			}},
			{Title: "Heat pads, TENS, pillows: what's in your comfort kit?", Kind: KindQuestion, Ago: 10*seedDay + 6*time.Hour, Posts: []seedPost{
				{By: "gus", Body: `I'm building a comfort kit for flare days and looking for ideas. Mine so far:

- Microwavable wheat bag
- A long pillow for between my knees
- Audiobooks for when I can't hold a book

What's in yours?`},
				{By: "ben", After: 2 * time.Hour, Helpful: 2, Body: `A TENS machine changed my evenings. A cheap one, nothing fancy. Worth asking a physio where to put the pads first, though.`},
				{By: "dana", After: 4 * time.Hour, Helpful: 3, Body: `Slip-on shoes and a grabber for dropped things. Not glamorous, but on bad days bending down is off the table.`},
				{By: "farah", After: seedDay + time.Hour, Body: `A flask I fill in the morning so I'm not up and down to the kettle all day, and a playlist that's nothing but rain sounds.`},
				{By: "jo", After: 6 * time.Hour, Helpful: 2, Body: `A heated throw, a stack of easy meals in the freezer that I make on good days, and a note to myself that says *this flare will pass*.`},
				{By: "ivan", After: seedDay + 4*time.Hour, Helpful: 4, Body: `Great list. I'd add the [Pain Toolkit](https://www.paintoolkit.org/) website. Not a gadget, but it's full of practical ideas from people who live with pain.`},
			}},
			{Title: "First pain clinic appointment: what should I ask?", Kind: KindQuestion, Ago: 5*seedDay + 2*time.Hour, Posts: []seedPost{
				{By: "dana", Body: `After nearly a year on the waiting list I have my first pain clinic appointment. I'm worried I'll get flustered and forget everything. What do you wish you'd asked at yours?`},
				{By: "ivan", After: 3 * time.Hour, Helpful: 3, Body: `Take a written summary. One page: where the pain is, what makes it better or worse, what you've already tried and how it went. Mine actually read it, and it saved so much time.`},
				{By: "farah", After: 5 * time.Hour, Helpful: 4, Body: `Questions I'd take:

1. What do you think is driving the pain?
2. What are the options besides medication?
3. Is there a pain management programme I could join?
4. Who do I contact between appointments if things get worse?

And take someone with you if you can, even just to take notes.`},
				{By: "ben", After: seedDay, Body: `Ask about physio and psychology support too. I was sceptical about the psychology side, but the pain management course was the most useful thing I've done in years.`},
			}},
			{Title: "Flare day. Just need to say it somewhere.", Kind: KindDiscussion, Ago: 15 * time.Hour, Posts: []seedPost{
				{By: "jo", Support: 4, Body: `Woke up at five with everything on fire. Cancelled plans for the third weekend in a row. Not asking for advice, I just needed to say it to people who get it.`},
				{By: "gus", After: time.Hour + 30*time.Minute, Body: `Heard. Sending you a warm wheat bag in spirit. I hope it eases as the day goes on.`},
				{By: "dana", After: 3 * time.Hour, Support: 1, Body: `We get it. Rest without guilt today. The plans will keep.`},
			}},
		},
	},
	{
		Slug: "clinicians-lounge", Name: "Clinicians' lounge: case discussions and training", Visibility: VisibilityProfessional,
		Description: "A space for the verified clinicians who support Haven's communities: anonymised case discussions, training notes and peer support. Only verified clinicians can see it, and nothing here should ever identify a patient.",
		Rules: `1. Anonymise every case. No names, locations, dates, record numbers or rare details that could identify someone.
2. Peer discussion is not a formal consultation. Use your usual referral and safeguarding routes.
3. Be collegial. We work in different systems and countries; ask before assuming.
4. Look after yourselves. The crisis page at /crisis lists support for staff too.`,
		Moderator: "nurse-okafor",
		Members:   []string{"dr-rivera", "nurse-okafor"},
		Threads: []seedThread{
			{Title: "Anonymised case: fatigue after a viral illness, normal bloods", Kind: KindDiscussion, Ago: 15*seedDay + 3*time.Hour, Posts: []seedPost{
				{By: "dr-rivera", Body: `Looking for thoughts on an anonymised case. Adult, previously very active, with persistent fatigue and post-exertional symptoms for several months after a viral illness. Bloods, thyroid and glucose all normal. The patient is frustrated at being told everything is "fine".

I've started a conversation about pacing and referred on, but I'd welcome views on how others frame a normal result so that it doesn't feel dismissive.`},
				{By: "nurse-okafor", After: 5 * time.Hour, Helpful: 1, Body: `We often say something like: *"Your results rule out some important causes, which is useful, but they don't measure what you're going through. Your symptoms are real, and here's what we can do about them."* Validating first makes the rest of the conversation land better.`},
				{By: "dr-rivera", After: seedDay + time.Hour, Body: `That's helpful phrasing, thank you. I used a version of it this week and the conversation went much better.`},
			}},
			{Title: "Good resources for explaining pacing to patients?", Kind: KindQuestion, Ago: 8*seedDay + time.Hour, Posts: []seedPost{
				{By: "nurse-okafor", Body: `I'm putting together a short handout on pacing for our respiratory clinic. Which resources have your patients found clearest? Plain language is a priority, as many of them are managing brain fog.`},
				{By: "dr-rivera", AsClinician: true, After: 6 * time.Hour, Helpful: 1, Body: `Patients tell me the guideline is dense on its own, but the principles are sound: [NICE NG188](https://www.nice.org.uk/guidance/ng188). I'd pair it with a one-page traffic-light plan (green, amber and red activities). Patients in the Long COVID group have shared a version that is clearer than most leaflets I've seen.`},
				{By: "nurse-okafor", After: seedDay, Body: `Great idea. I'll build the handout around the traffic-light format and keep it to one side of paper.`},
			}},
			{Title: "Training notes: motivational interviewing refresher", Kind: KindDiscussion, Ago: 3*seedDay + 6*time.Hour, Posts: []seedPost{
				{By: "dr-rivera", Body: `Notes from a refresher session on motivational interviewing, in case they're useful:

- **Open questions** rather than yes/no ones
- **Reflect** before you advise
- Ask permission before giving information: *"Would it help if I shared what some people find useful?"*
- Roll with resistance rather than arguing

The part I keep relearning is the second one.`},
				{By: "nurse-okafor", After: 7 * time.Hour, Body: `Thanks for sharing. Same here: "reflect before you advise" is now on a sticky note on my monitor.`},
			}},
		},
	},
}

// seedPlan is one thread with its posts, before the thread has an id.
type seedPlan struct {
	thread Thread
	posts  []Post
}

// seedDemo writes the demo content in tx, as if seeded at now.
func (s *Store) seedDemo(tx *gorm.DB, now time.Time) error {
	people, err := s.seedUsers(tx, now.Add(-30*seedDay))
	if err != nil {
		return err
	}

	// Groups, with the times and counts their threads imply.
	groups := make([]Group, len(seedGroups))
	firstPost := make([]map[string]time.Time, len(seedGroups)) // per group: each member's first post
	postCount := make([]map[string]int, len(seedGroups))       // per group: posts made through each membership
	for gi, sg := range seedGroups {
		if err := sg.check(); err != nil {
			return err
		}
		firstPost[gi], postCount[gi] = map[string]time.Time{}, map[string]int{}
		oldest, latest := now, time.Time{}
		for _, st := range sg.Threads {
			at := now.Add(-st.Ago)
			if at.Before(oldest) {
				oldest = at
			}
			for _, sp := range st.Posts {
				at = at.Add(sp.After)
				if at.After(now) {
					return fmt.Errorf("seed: %s: %q ends in the future; make Ago longer", sg.Slug, st.Title)
				}
				if at.After(latest) {
					latest = at
				}
				if !sp.AsClinician {
					postCount[gi][sp.By]++
					if t, ok := firstPost[gi][sp.By]; !ok || at.Before(t) {
						firstPost[gi][sp.By] = at
					}
				}
			}
		}
		created := oldest.Add(-5 * seedDay)
		groups[gi] = Group{Slug: sg.Slug, Name: sg.Name, Description: sg.Description, Rules: sg.Rules,
			Visibility: sg.Visibility, MemberCount: len(sg.Members) + 1, ThreadCount: len(sg.Threads),
			LastActivityAt: latest, CreatedAt: created, UpdatedAt: created}
	}
	if err := tx.Create(&groups).Error; err != nil {
		return err
	}

	// Memberships: the admin owns each group from its first moment; the others join in
	// a random order over the next days, each under a pseudonym drawn for this group
	// alone, so neither ids nor join times line up one person's memberships.
	var memberships []Membership
	usedBy := map[string]map[string]bool{} // person -> pseudonyms they already have
	for gi, sg := range seedGroups {
		g := &groups[gi]
		taken := map[string]bool{}
		names := append([]string{seedAdmin}, seedShuffle(sg.Members)...)
		for i, name := range names {
			if usedBy[name] == nil {
				usedBy[name] = map[string]bool{}
			}
			pseudonym, err := seedPseudonym(taken, usedBy[name])
			if err != nil {
				return err
			}
			role, joined := MemberRegular, g.CreatedAt
			switch {
			case name == seedAdmin:
				role = MemberOwner
			case name == sg.Moderator:
				role = MemberModerator
			}
			if i > 0 {
				joined = joined.Add(time.Duration(i)*6*time.Hour + time.Duration(randIntn(300))*time.Minute)
			}
			if first, ok := firstPost[gi][name]; ok && !joined.Before(first) {
				joined = first.Add(-time.Hour)
			}
			memberships = append(memberships, Membership{UserID: people[name].ID, GroupID: g.ID,
				Pseudonym: pseudonym, Role: role, Status: MemberActive, PostCount: postCount[gi][name],
				PseudonymChangedAt: joined, CreatedAt: joined, UpdatedAt: joined})
		}
	}
	if err := tx.CreateInBatches(&memberships, 100).Error; err != nil {
		return err
	}
	membershipOf := map[[2]int64]int64{} // group id, user id -> membership id
	for _, m := range memberships {
		membershipOf[[2]int64{m.GroupID, m.UserID}] = m.ID
	}

	// Threads and posts, inserted oldest first so that ids follow time.
	var plans []seedPlan
	for gi, sg := range seedGroups {
		g := &groups[gi]
		for _, st := range sg.Threads {
			at := now.Add(-st.Ago)
			var p seedPlan
			for _, sp := range st.Posts {
				at = at.Add(sp.After)
				body := strings.TrimSpace(sp.Body)
				html, err := RenderMarkdown(body)
				if err != nil {
					return err
				}
				post := Post{Body: body, BodyHTML: html, ContentWarning: sp.Warning, Status: PostPublished, Version: 1,
					SupportCount: sp.Support, HelpfulCount: sp.Helpful, SameHereCount: sp.SameHere,
					CreatedAt: at, UpdatedAt: at}
				if sp.AsClinician {
					id := people[sp.By].clinicianID
					post.ClinicianID = &id
					if st.Kind == KindQuestion {
						p.thread.ClinicianAnswered = true
						if p.thread.FirstClinicianAnswerAt == nil { // time to first clinician answer (clinician.go)
							first, secs := at, int64(at.Sub(p.posts[0].CreatedAt)/time.Second)
							p.thread.FirstClinicianAnswerAt, p.thread.ClinicianAnswerSeconds = &first, &secs
						}
					}
				} else {
					id := membershipOf[[2]int64{g.ID, people[sp.By].ID}]
					post.MembershipID = &id
				}
				p.posts = append(p.posts, post)
			}
			opened, last := p.posts[0].CreatedAt, p.posts[len(p.posts)-1].CreatedAt
			p.thread.GroupID, p.thread.MembershipID = g.ID, *p.posts[0].MembershipID
			p.thread.Title, p.thread.Kind = st.Title, st.Kind
			p.thread.ReplyCount, p.thread.LastPostAt = len(p.posts)-1, last
			p.thread.CreatedAt, p.thread.UpdatedAt = opened, last
			plans = append(plans, p)
		}
	}
	slices.SortStableFunc(plans, func(a, b seedPlan) int { return a.thread.CreatedAt.Compare(b.thread.CreatedAt) })
	threads := make([]Thread, len(plans))
	for i := range plans {
		threads[i] = plans[i].thread
	}
	if err := tx.CreateInBatches(&threads, 100).Error; err != nil {
		return err
	}
	var posts []Post
	for i := range plans {
		for _, p := range plans[i].posts {
			p.ThreadID = threads[i].ID
			posts = append(posts, p)
		}
	}
	slices.SortStableFunc(posts, func(a, b Post) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if err := tx.CreateInBatches(&posts, 100).Error; err != nil {
		return err
	}
	// Posts written in bulk bypass indexPost: index them for search now.
	return s.indexMissing(context.Background(), tx)
}

// seedUser is a demo person as stored.
type seedUser struct {
	ID          int64
	clinicianID int64
}

// seedUsers creates the demo people as local-mode identities, created at since, and
// returns them by name. A name that has signed in before keeps its user.
func (s *Store) seedUsers(tx *gorm.DB, since time.Time) (map[string]*seedUser, error) {
	byHash := map[string]*seedPerson{}
	hashes := make([]string, len(seedPeople))
	for i := range seedPeople {
		hashes[i] = s.SubjectHash("local", seedPeople[i].Name)
		byHash[hashes[i]] = &seedPeople[i]
	}
	var known []Identity
	if err := tx.Where("provider = ? AND subject_hash IN ?", "local", hashes).Find(&known).Error; err != nil {
		return nil, err
	}
	out := map[string]*seedUser{}
	for _, id := range known {
		p := byHash[id.SubjectHash]
		out[p.Name] = &seedUser{ID: id.UserID}
		if err := tx.Model(&User{}).Where("id = ?", id.UserID).Update("role", p.Role).Error; err != nil {
			return nil, err
		}
	}

	var users []User
	var fresh []*seedPerson
	for i := range seedPeople {
		if out[seedPeople[i].Name] == nil {
			at := since.Add(time.Duration(i) * 2 * time.Hour)
			users = append(users, User{Role: seedPeople[i].Role, Status: UserActive, CreatedAt: at})
			fresh = append(fresh, &seedPeople[i])
		}
	}
	if len(users) > 0 {
		if err := tx.Create(&users).Error; err != nil {
			return nil, err
		}
		ids := make([]Identity, len(users))
		for i, u := range users {
			ids[i] = Identity{UserID: u.ID, Provider: "local", SubjectHash: s.SubjectHash("local", fresh[i].Name), CreatedAt: u.CreatedAt}
			out[fresh[i].Name] = &seedUser{ID: u.ID}
		}
		if err := tx.Create(&ids).Error; err != nil {
			return nil, err
		}
	}

	for _, p := range seedPeople {
		if p.Clinician == nil {
			continue
		}
		u := out[p.Name]
		var c Clinician
		err := tx.Where("user_id = ?", u.ID).First(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			c = *p.Clinician
			c.UserID, c.CreatedAt, c.UpdatedAt = u.ID, since, since
			err = tx.Create(&c).Error
		}
		if err != nil {
			return nil, err
		}
		u.clinicianID = c.ID
	}
	return out, nil
}

// check reports content mistakes in a demo group: unknown authors, a clinician voice
// for someone without a credential, or text a member could not have posted.
func (sg *seedGroup) check() error {
	in := map[string]bool{seedAdmin: true}
	for _, m := range sg.Members {
		if in[m] {
			return fmt.Errorf("seed: group %s: %q is listed twice (the admin is always a member)", sg.Slug, m)
		}
		if seedFind(m) == nil {
			return fmt.Errorf("seed: group %s: %q is not in seedPeople", sg.Slug, m)
		}
		in[m] = true
	}
	gi := GroupInput{Slug: sg.Slug, Name: sg.Name, Description: sg.Description, Rules: sg.Rules, Visibility: sg.Visibility}
	if err := gi.Validate(); err != nil {
		return fmt.Errorf("seed: group %s: %w", sg.Slug, err)
	}
	if !in[sg.Moderator] || sg.Moderator == seedAdmin {
		return fmt.Errorf("seed: group %s: moderator %q is not a member", sg.Slug, sg.Moderator)
	}
	for _, st := range sg.Threads {
		if len(st.Posts) == 0 || st.Posts[0].AsClinician || st.Posts[0].After != 0 {
			return fmt.Errorf("seed: %s: %q needs an opening post by a member", sg.Slug, st.Title)
		}
		ti := ThreadInput{Title: st.Title, Kind: st.Kind, Body: st.Posts[0].Body, ContentWarning: st.Posts[0].Warning}
		if err := ti.Validate(); err != nil {
			return fmt.Errorf("seed: %s: %q: %w", sg.Slug, st.Title, err)
		}
		for i, sp := range st.Posts {
			if !in[sp.By] {
				return fmt.Errorf("seed: %s: %q: post %d is by %q, who is not a member", sg.Slug, st.Title, i+1, sp.By)
			}
			if sp.AsClinician && seedFind(sp.By).Clinician == nil {
				return fmt.Errorf("seed: %s: %q: post %d: %q has no credential", sg.Slug, st.Title, i+1, sp.By)
			}
			pi := PostInput{Body: sp.Body, ContentWarning: sp.Warning}
			if err := pi.Validate(); err != nil {
				return fmt.Errorf("seed: %s: %q: post %d: %w", sg.Slug, st.Title, i+1, err)
			}
		}
	}
	return nil
}

// seedFind returns the demo person with the given name, or nil.
func seedFind(name string) *seedPerson {
	for i := range seedPeople {
		if seedPeople[i].Name == name {
			return &seedPeople[i]
		}
	}
	return nil
}

// seedPseudonym draws a pseudonym free in the group (taken) and new to the person
// (theirs), and records it in both.
func seedPseudonym(taken, theirs map[string]bool) (string, error) {
	for range 50 {
		p := NewPseudonym()
		if taken[p] || theirs[p] {
			continue
		}
		taken[p], theirs[p] = true, true
		return p, nil
	}
	return "", errors.New("seed: could not draw a free pseudonym")
}

// seedShuffle returns names in a random order.
func seedShuffle(names []string) []string {
	out := slices.Clone(names)
	for i := len(out) - 1; i > 0; i-- {
		j := randIntn(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return out
}
