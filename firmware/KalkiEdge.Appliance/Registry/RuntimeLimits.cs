using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Registry;

/// <summary>
/// What a run-time device must also satisfy beyond a kalki.yaml entry (whose checks, the name's included, it
/// passes too): its group appears in URLs and logs like a name; free text is bounded and printable; credentials
/// come as a pair.
/// </summary>
internal static class RuntimeLimits
{
    public static void Check(DeviceSpec spec, DiagnosticBag diagnostics)
    {
        if (spec.Group is { } group && !DeviceName.IsValid(group))
        {
            diagnostics.Error(Field("group"), $"group '{Printable.Escape(Shorten(group))}' is not allowed: use {DeviceName.Rule}");
        }

        PrintableText("description", spec.Description, DeviceRegistry.MaxDescription, diagnostics);
        if (spec.Chain is { Length: > DeviceRegistry.MaxChainText })
        {
            diagnostics.Error(Field("chain"), $"chain text is {spec.Chain.Length} characters; at most {DeviceRegistry.MaxChainText}");
        }

        if ((spec.CredentialsUser is null) != (spec.CredentialsPassword is null))
        {
            diagnostics.Error(Field("credentials"), "credentials need both a username and a password");
        }

        PrintableText("credentials", spec.CredentialsUser, DeviceRegistry.MaxCredential, diagnostics);
        if (spec.CredentialsPassword is { Length: > DeviceRegistry.MaxCredential })
        {
            diagnostics.Error(Field("credentials"), $"password is longer than {DeviceRegistry.MaxCredential} characters");
        }
    }

    private static void PrintableText(string field, string? text, int max, DiagnosticBag diagnostics)
    {
        if (text is { Length: > 0 } && (text.Length > max || text.Any(char.IsControl)))
        {
            diagnostics.Error(Field(field), $"{field} must be at most {max} printable characters");
        }
    }

    private static SourceSpan Field(string name) => new(name, 0, 0);

    private static string Shorten(string? text) => text is null ? "" : text.Length > 40 ? text[..40] + "…" : text;
}
