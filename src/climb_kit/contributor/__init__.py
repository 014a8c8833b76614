"""For contributors: what proves a template sound and how strong its tests are.

verify (the verification contract), reference (solution and ladder states), mutants (curated wrong
solutions), mutation and test_durations (mutmut), flakes (repeated runs), consistency (stage ids
agree), checksums and hint_source (the files a template ships generated), scaffold (template.new).
"""
