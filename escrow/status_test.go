package escrow

import (
	"errors"
	"testing"
)

var actions = []Action{ActFund, ActFundSucceeded, ActComplete, ActApprove, ActRelease, ActDispute, ActResolve, ActCancel, ActRefund}

func TestMilestoneNext(t *testing.T) {
	P, F, C, A, Pd, D := MilestonePlanned, MilestoneFunded, MilestoneCompleted, MilestoneApproved, MilestonePaid, MilestoneDisputed
	allowed := map[MilestoneStatus]map[Action]MilestoneStatus{
		P:  {ActFund: P, ActCancel: P, ActFundSucceeded: F, ActDispute: D},
		F:  {ActComplete: C, ActDispute: D, ActRefund: P},
		C:  {ActApprove: A, ActDispute: D, ActRefund: P},
		A:  {ActRelease: Pd, ActDispute: D, ActRefund: P},
		Pd: {},
		D:  {ActRefund: P},
	}
	for _, s := range MilestoneStatuses {
		for _, a := range actions {
			got, err := s.Next(a)
			want, ok := allowed[s][a]
			var se *StateError
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("%s %s: %s, %v; want %s", s, a, got, err, want)
			case !ok && (!errors.As(err, &se) || se.Message == "" || got != s):
				t.Errorf("%s %s: %s, %v; want refused", s, a, got, err)
			}
		}
	}
	if got, err := D.Resume(C); err != nil || got != C {
		t.Errorf("resume to completed: %s %v", got, err)
	}
	for _, bad := range []MilestoneStatus{Pd, D, ""} {
		if _, err := D.Resume(bad); err == nil {
			t.Errorf("resumed to %q", bad)
		}
	}
	if _, err := F.Resume(P); err == nil {
		t.Error("resumed a milestone not disputed")
	}
}

func TestEscrowNext(t *testing.T) {
	allowed := map[Status]map[Action]Status{
		EscrowPending: {ActFundSucceeded: EscrowFunded, ActCancel: EscrowCancelled},
		EscrowFunded:  {ActRelease: EscrowReleased, ActRefund: EscrowRefunded},
	}
	for _, s := range Statuses {
		for _, a := range actions {
			got, err := s.Next(a)
			want, ok := allowed[s][a]
			if ok != (err == nil) || (ok && got != want) || (!ok && got != s) {
				t.Errorf("%s %s: %s, %v", s, a, got, err)
			}
		}
	}
	if r, err := ReleaseNone.Next(); err != nil || r != ReleaseRequested {
		t.Error(r, err)
	}
	if r, err := ReleaseRequested.Next(); err != nil || r != ReleaseSent {
		t.Error(r, err)
	}
	if _, err := ReleaseSent.Next(); err == nil {
		t.Error("sent went on")
	}
	if CanRelease(EscrowFunded, ReleaseNone, MilestoneApproved) != nil ||
		CanRelease(EscrowFunded, ReleaseRequested, MilestoneApproved) == nil ||
		CanRelease(EscrowFunded, ReleaseNone, MilestoneCompleted) == nil ||
		CanRelease(EscrowPending, ReleaseNone, MilestoneApproved) == nil {
		t.Error("CanRelease")
	}
	if CanRefund(EscrowFunded, ReleaseNone) != nil || CanRefund(EscrowFunded, ReleaseRequested) == nil || CanRefund(EscrowReleased, ReleaseSent) == nil {
		t.Error("CanRefund")
	}
}

func TestStatesStoreAsText(t *testing.T) {
	for _, s := range MilestoneStatuses {
		var back MilestoneStatus
		if v, err := s.Value(); err != nil || back.Scan(v) != nil || back != s || s.Label() == string(s) {
			t.Errorf("milestone status %s", s)
		}
	}
	for _, s := range Statuses {
		var back Status
		if v, err := s.Value(); err != nil || back.Scan(v) != nil || back != s || s.Label() == string(s) || s.Live() == (s == EscrowCancelled || s == EscrowRefunded) {
			t.Errorf("escrow status %s", s)
		}
	}
	for _, a := range Accounts {
		var back Account
		if v, err := a.Value(); err != nil || back.Scan(v) != nil || back != a || a.Label() == string(a) {
			t.Errorf("account %s", a)
		}
	}
	for _, k := range PostingKinds {
		var back PostingKind
		if v, err := k.Value(); err != nil || back.Scan(v) != nil || back != k || k.Label() == string(k) {
			t.Errorf("posting kind %s", k)
		}
	}
	var s Status
	if s.Scan("paid") == nil {
		t.Error("scanned an unknown escrow status")
	}
	var r ReleaseState
	if r.Scan([]byte("sent")) != nil || r != ReleaseSent || r.Scan("gone") == nil {
		t.Error("release state scan")
	}
}
