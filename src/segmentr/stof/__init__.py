"""segmentr.stof: the Stof condition language (lexer → parser → AST → checker → compiler → runtime).

Depends on nothing else in segmentr. Public face: ``compile``, ``check``, ``Condition``, ``Diagnostic`` and the
error tree.
"""
