"""Post-processing: mail pieces, inserter files, archive index, production report."""
