"""Pure patch plans: what a mutating command will send, as data.

A builder takes the current object(s) and the user's intent and returns a `Plan` (or
raises errors.RolloutsError with the message of the Argo Rollouts kubectl plugin). It sends nothing: one function
in kube/ applies a plan, and `--dry-run` prints it instead.

May not import: click, kubernetes, kube/ (except the resource table), render/, term/, cli/.
"""
