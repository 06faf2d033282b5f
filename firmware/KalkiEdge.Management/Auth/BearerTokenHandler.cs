using System.Security.Claims;
using System.Text.Encodings.Web;
using KalkiEdge.Management.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KalkiEdge.Management.Auth;

/// <summary><c>Authorization: Bearer TOKEN</c> with an API token made on the dashboard (scripts; no antiforgery needed).</summary>
internal sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, Accounts accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var owner = accounts.Authenticate(header["Bearer ".Length..].Trim());
        if (owner is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown or deleted API token"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, owner), new Claim(ClaimTypes.NameIdentifier, owner)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ApiErrors.Write(Context, Microsoft.AspNetCore.Http.StatusCodes.Status401Unauthorized, "the API token is unknown or was deleted");
    }
}
