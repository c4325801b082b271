"""The pages, one module per role, on routers whose routes render HTML (`web.session.PageRoute`)."""
