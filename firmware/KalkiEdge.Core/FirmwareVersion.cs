using System.Reflection;

namespace KalkiEdge.Core;

/// <summary>
/// The firmware's version, one string for `kalki-edge version` and GET /health: the build's informational version
/// (Directory.Build.props' Version, the same in every assembly) without the source-control suffix the SDK may append after '+'.
/// </summary>
public static class FirmwareVersion
{
    public static string Text { get; } = Read();

    private static string Read()
    {
        var assembly = typeof(FirmwareVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
