"""Getting Stripe's events into the books: webhook receiver, Stripe CLI supervisor, Events API poller."""
