"""Server-rendered pages: Jinja2 templates with autoescaping, no front-end build step."""
