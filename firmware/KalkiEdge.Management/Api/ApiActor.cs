using KalkiEdge.Management.Auth;
using Microsoft.AspNetCore.Http;

namespace KalkiEdge.Management.Api;

/// <summary>Who did it, for the audit log: the signed-in user (or the API token's owner) and the channel.</summary>
internal static class ApiActor
{
    public static string Of(HttpContext context) =>
        $"{AuthEndpoints.User(context)} via {(context.User.Identity?.AuthenticationType == BearerTokenHandler.SchemeName ? "API token" : "dashboard")}";
}
