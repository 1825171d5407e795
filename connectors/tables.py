"""tables connector: actions come with issue 3."""
