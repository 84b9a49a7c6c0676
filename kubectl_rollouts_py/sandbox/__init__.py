"""Test and demo infrastructure: a stand-in Kubernetes API server that runs on loopback.

`sandbox.apiserver` serves the Argo Rollouts, apps/v1 and core/v1 resources the plugin
touches, from an in-memory store. It follows the real server's wire semantics closely
enough for kubectl, the official Python client and our own CLI: discovery, lists, watches
with resourceVersion replay, patches by Content-Type and the status subresource.

Nothing in the plugin proper may import this package; it is only for tests, benchmarks and
the demo sandbox. It uses the standard library only (PyYAML for seed files, lazily).
"""
