package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/views"
)

// tenderPrintRoutes serves the tender document as one standalone HTML page for a browser
// to print (the yardstick the PDF is measured against): whoever may get the PDF.
func (h *Handlers) tenderPrintRoutes() []Route {
	return []Route{
		{"GET", paths.NameTenderPrint, onTender("", authz.ViewProject), h.tenderPrint},
	}
}

func (h *Handlers) tenderPrint(c echo.Context) error {
	t := currentTender(c)
	if t == nil {
		return errNotFound()
	}
	if !t.OpenedAt.Valid {
		return &appError{Status: http.StatusConflict, Message: "The tender document exists once the tender opens."}
	}
	p, err := h.tenderPDFProject(c, *t)
	if err != nil {
		return err
	}
	addenda, err := h.st.Addenda(c.Request().Context(), t.ID, "")
	if err != nil {
		return err
	}
	doc, _, err := h.tenderDocument(c, *t, p, addenda)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return views.TenderPrint(doc).Render(c.Request().Context(), c.Response())
}
