"""`make cluster-test`: the multi-process test on real services behind nginx (issue 18). See __main__.py."""
