"""Fetch a site politely (robots.txt, sitemaps, scope, limits, retries) or read a static-site
folder."""
