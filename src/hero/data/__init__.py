"""Training data from files: the row loader (`hero.data.rows`), what trainers take from it (`hero.data.training`)
and the `hero data` commands (`hero.data.commands`, `hero.data.pope_train`)."""
