"""Read a fetched page: its main text, links, calls to action, forms and what it declares it is."""
