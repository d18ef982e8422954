"""The service manager's dashboard: `jatkumo serve`. aiohttp + Jinja2 + htmx, SVG charts."""
