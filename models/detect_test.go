package models

import (
	"slices"
	"testing"
)

func TestDetectCrisis(t *testing.T) {
	fires := []string{
		"I want to kill myself",
		"Some nights I think about suicide.",
		"i just want to end it all",
		"I've been feeling suicidal again",
		"Honestly everyone would be better off without me",
		"I don’t want to be here anymore",
		"I don't want to be here anymore",
		"I started cutting myself again last week",
		"KILL MYSELF",
		"thinking of **ending my life**",
		"I want to die.",
		"self-harm urges are back",
		"I can't go on like this",
		"there's no reason to live",
		"I'm going to take my own life",
	}
	quiet := []string{
		"My nurse is very skilled with injections",
		"This new app is a killer app for carb counting",
		"I'm dying to try the new recipe",
		"The pain is killing me today, but I'll manage",
		"Skilled nursing facility recommendations?",
		"Could the rash be from the new cream?",
		"We went to the suicidology... no, the sociology lecture", // no whole-word match
		"I can go on holiday now",
		"endit allotment",
		"I hurt my knee",
		"A diet that helps you live longer",
	}
	for _, s := range fires {
		t.Run("fires/"+s, func(t *testing.T) {
			if got := DetectCrisis(s); len(got) == 0 {
				t.Fatalf("DetectCrisis(%q) found nothing", s)
			}
		})
	}
	for _, s := range quiet {
		t.Run("quiet/"+s, func(t *testing.T) {
			if got := DetectCrisis(s); len(got) != 0 {
				t.Fatalf("DetectCrisis(%q) = %v, want nothing", s, got)
			}
		})
	}
}

func TestDetectPersonalData(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"Call me on 07700 900123 any time", []string{PDPhone}},
		{"my number is +1 (555) 123-4567", []string{PDPhone}},
		{"email me at jo.bloggs@example.org", []string{PDEmail}},
		{"I live at 42 Acacia Avenue, Leeds", []string{PDAddress}},
		{"my postcode is SW1A 1AA", []string{PDAddress}},
		{"DOB: 12/03/1985", []string{PDDateOfBirth}},
		{"I was born on 3.4.1990 in Cork", []string{PDDateOfBirth}},
		{"NHS number 943 476 5919", []string{PDNHSNumber}},
		{"My MRN is 00123456", []string{PDRecordNumber}},
		{"hospital number: RX123456", []string{PDRecordNumber}},
		// Not personal data.
		{"I take 1000 mg of metformin twice a day", nil},
		{"My HbA1c went from 62 to 48 mmol/mol", nil},
		{"I walked 2 miles down the road today", nil},
		{"Blood sugar was 7.8 this morning and 5.4 last night", nil},
		{"12,000 steps yesterday!", nil},
		{"Diagnosed in 2019, on insulin since 2021", nil},
		{"Appointment on 12/03/2026 at 10:30", nil},
		{"A 10-digit number that fails the check: 123 456 7890", []string{PDPhone}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got := DetectPersonalData(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("DetectPersonalData(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestCrisisResourcesFor(t *testing.T) {
	for _, tc := range []struct{ region, wantName, wantEmergency string }{
		{"US", "988 Suicide & Crisis Lifeline", "911"},
		{"gb", "Samaritans", "999 or 112"},
		{"UK", "Samaritans", "999 or 112"},
		{"CA", "9-8-8 Suicide Crisis Helpline", "911"},
		{"AU", "Lifeline Australia", "000"},
		{"IE", "Samaritans Ireland", "112 or 999"},
		{"IN", "Tele-MANAS", "112"},
		{"DE", "Emotional support line (many EU states)", "112"},
		{"ZZ", "Find A Helpline", "your local emergency number"},
		{"", "Find A Helpline", "your local emergency number"},
	} {
		r := CrisisResourcesFor(tc.region)
		if len(r.Lines) == 0 || r.Lines[0].Name != tc.wantName || r.Emergency != tc.wantEmergency {
			t.Fatalf("CrisisResourcesFor(%q) = %+v", tc.region, r)
		}
		if r.LastVerified == "" {
			t.Fatalf("region %s has no last_verified date", r.Region)
		}
	}
}
