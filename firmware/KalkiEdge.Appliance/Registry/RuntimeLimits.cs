using System.Text.RegularExpressions;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;

namespace KalkiEdge.Appliance.Registry;

/// <summary>
/// What a run-time device must also satisfy beyond a kalki.yaml entry (whose checks already hold its name to
/// <c>DeviceName</c>'s rule): its group is short and plain; free text is bounded and printable; credentials come as a pair.
/// </summary>
internal static partial class RuntimeLimits
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex PlainName();

    public static void Check(DeviceSpec spec, DiagnosticBag diagnostics)
    {
        if (spec.Group is { } group && !PlainName().IsMatch(group))
        {
            diagnostics.Error(Field("group"), $"group '{Shorten(group)}' must be 1-63 letters, digits, '.', '_' or '-'");
        }

        Printable("description", spec.Description, DeviceRegistry.MaxDescription, diagnostics);
        if (spec.Chain is { Length: > DeviceRegistry.MaxChainText })
        {
            diagnostics.Error(Field("chain"), $"chain text is {spec.Chain.Length} characters; at most {DeviceRegistry.MaxChainText}");
        }

        if ((spec.CredentialsUser is null) != (spec.CredentialsPassword is null))
        {
            diagnostics.Error(Field("credentials"), "credentials need both a username and a password");
        }

        Printable("credentials", spec.CredentialsUser, DeviceRegistry.MaxCredential, diagnostics);
        if (spec.CredentialsPassword is { Length: > DeviceRegistry.MaxCredential })
        {
            diagnostics.Error(Field("credentials"), $"password is longer than {DeviceRegistry.MaxCredential} characters");
        }
    }

    private static void Printable(string field, string? text, int max, DiagnosticBag diagnostics)
    {
        if (text is { Length: > 0 } && (text.Length > max || text.Any(char.IsControl)))
        {
            diagnostics.Error(Field(field), $"{field} must be at most {max} printable characters");
        }
    }

    private static SourceSpan Field(string name) => new(name, 0, 0);

    private static string Shorten(string? text) => text is null ? "" : text.Length > 40 ? text[..40] + "…" : text;
}
