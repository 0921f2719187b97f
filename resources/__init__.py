"""Icons, stylesheets and other files the application ships."""
