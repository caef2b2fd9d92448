package handlers

import (
	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// capabilities tells the views what u may do anywhere, from the same authz rules the route
// table enforces: a button is shown exactly when the route behind it would let u through.
func capabilities(u *store.User) views.Can {
	if u == nil {
		return views.Can{}
	}
	return views.Can{
		CreateProject: authz.Can(u.Role, authz.CreateProject),
		ManageUsers:   authz.Can(u.Role, authz.ManageUsers),
		SeeProjects:   authz.CanSeeProjects(u.Role),
		// Seeing a project one is not on the team of means seeing them all.
		SeeAllProjects: authz.CanInProject(u.Role, authz.Membership{}, authz.ViewProject),
		BidOnTenders:   authz.Can(u.Role, authz.SubmitBid),
	}
}

// projectCapabilities is what u may do in a project where u's membership is m.
func projectCapabilities(u *store.User, m authz.Membership) views.ProjectCan {
	if u == nil {
		return views.ProjectCan{}
	}
	can := func(a authz.ProjectAction) bool { return authz.CanInProject(u.Role, m, a) }
	return views.ProjectCan{
		Edit:       can(authz.EditProject),
		Delete:     can(authz.RemoveProject),
		ManageTeam: can(authz.ManageTeam),
		EditUnits:  can(authz.EditUnits),
		EditSOQ:    can(authz.EditSOQ),
	}
}

// roleOptions lists roles for a form's or a filter's choices, labelled for people.
func roleOptions(roles []authz.Role) []views.RoleOption {
	out := make([]views.RoleOption, len(roles))
	for i, r := range roles {
		out[i] = views.RoleOption{Value: string(r), Label: r.Label()}
	}
	return out
}
