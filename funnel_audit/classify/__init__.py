"""Label pages with a funnel stage: the model, its training corpus and fitting, the site-level pass,
page families and manual labels."""
