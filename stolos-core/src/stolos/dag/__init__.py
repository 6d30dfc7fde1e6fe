"""Dependency resolution: parents and children of a job, enumeration of an app's
job_ids, ``valid_if_or``, and the app graph's order.

Quickstart::

    from stolos.dag import DependencyResolver
    resolver = DependencyResolver(config, validators)
    for dep in resolver.parents("modelBuild", "20140601_1234_purchaseRevenue"):
        print(dep.app_name, dep.job_id, dep.group)

See ``docs/dependencies.md`` for how ``depends_on`` is interpreted.
"""

from stolos.dag.resolver import Dependency, DependencyResolver

__all__ = ["Dependency", "DependencyResolver"]
