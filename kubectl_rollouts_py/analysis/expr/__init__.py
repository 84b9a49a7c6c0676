"""The expr language (v1.17.8) that Argo uses for successCondition and failureCondition.

`conditions` is the public face; these modules are its parts, in the order a condition
passes through them:

* `lexer` and `parser`: tokens, then a syntax tree with expr's precedence and quirks;
* `types`: the static type checker expr runs before evaluating;
* `evaluator` and `builtins`: the tree walker, expr's builtins and the methods on time and
  duration values, every step charged to a `base.Budget`;
* `values`: Python's stand-ins for Go values and Go's rules for them;
* `regex` (RE2 syntax, linear-time matching) and `layouts` (Go time layouts);
* `base`: the error type, the limits and the budget.

Nothing here imports beyond the standard library, `kubectl_rollouts_py.errors` and the
Go value rules.
"""
