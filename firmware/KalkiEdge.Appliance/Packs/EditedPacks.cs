using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Packs;

/// <summary>
/// Packs edited or imported on the appliance (dashboard or API) are kept as <c>DATA_DIR/packs/TYPE.yaml</c>: the
/// shipped directory is read-only on the image, the data directory is not. At every start (run, replay and check
/// of that site alike) an edited pack replaces the shipped pack of its type and an imported one adds its type, so
/// a saved change survives restarts.
/// </summary>
public static class EditedPacks
{
    public const string DirectoryName = "packs";

    public static string Directory(string dataDir) => Path.Combine(dataDir, DirectoryName);

    public static string FileFor(string dataDir, string type) => Path.Combine(Directory(dataDir), type + ".yaml");

    /// <summary>The shipped packs with each edited one in place of the shipped pack of its type, then the imported types.</summary>
    public static List<DeviceTypePack> Overlay(List<DeviceTypePack> shipped, string dataDir, DiagnosticBag diagnostics)
    {
        var dir = Directory(dataDir);
        if (string.IsNullOrEmpty(dataDir) || !System.IO.Directory.Exists(dir))
        {
            return shipped;
        }

        var result = new List<DeviceTypePack>(shipped);
        foreach (var edited in PackLoader.LoadDirectory(dir, diagnostics))
        {
            var at = result.FindIndex(p => p.Name == edited.Name);
            if (at < 0)
            {
                result.Add(edited);
            }
            else
            {
                result[at] = edited;
            }
        }

        return result;
    }

    /// <summary>
    /// Writes the pack's text so that a crash leaves the old file or the new one whole: a private temporary file,
    /// flushed to the disk, renamed over the old one.
    /// </summary>
    public static void Save(string dataDir, string type, string yaml)
    {
        var dir = Directory(dataDir);
        System.IO.Directory.CreateDirectory(dir);
        var file = FileFor(dataDir, type);
        var temp = Path.Combine(dir, $".{type}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(yaml));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, file, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
