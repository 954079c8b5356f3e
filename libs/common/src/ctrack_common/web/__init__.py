"""HTTP plumbing shared by the services."""

from ctrack_common.web.app import ReadinessChecks, create_service_app, json_error
from ctrack_common.web.auth import TenantAuth
from ctrack_common.web.ratelimit import RateLimit

__all__ = ["RateLimit", "ReadinessChecks", "TenantAuth", "create_service_app", "json_error"]
