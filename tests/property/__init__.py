"""Property tests (hypothesis): invariants over generated rule files, manifests and objects.

Example counts stay modest (the suite runs on 2 cores): every test here uses `strategies.PROFILE`.
"""
