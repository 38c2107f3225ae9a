"""The web pages: server-rendered HTML for developers, stewards and factory staff.

:mod:`api.web.routes` gathers every page router (all under ``/ui``); sessions and CSRF
live in :mod:`api.web.session`, rendering, security headers and error pages in
:mod:`api.web.render`. This package imports nothing itself, so the services
(:mod:`api.services`) can use its session store without loading the pages.
"""
