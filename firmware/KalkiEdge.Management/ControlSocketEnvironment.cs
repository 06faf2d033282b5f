namespace KalkiEdge.Management;

/// <summary>
/// What the default control socket location depends on: systemd's RuntimeDirectory, whether the process is root,
/// the user's runtime directory, the temporary directory and the user name. <see cref="Current"/> reads the
/// process's own; tests pass theirs, so nothing has to touch the real /run.
/// </summary>
internal sealed record ControlSocketEnvironment(string? RuntimeDirectory, bool Privileged, string? UserRuntimeDirectory, string TempPath, string UserName)
{
    public static ControlSocketEnvironment Current => new(
        Environment.GetEnvironmentVariable("RUNTIME_DIRECTORY"),
        Environment.IsPrivilegedProcess,
        Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"),
        Path.GetTempPath(),
        Environment.UserName);

    /// <summary>
    /// systemd's RuntimeDirectory (the image's service: /run/kalki-edge; the first when several are listed),
    /// /run/kalki-edge for root, else the user's runtime directory, else a per-user directory in the temp path.
    /// </summary>
    public string DefaultControlSocket
    {
        get
        {
            if (RuntimeDirectory is { Length: > 0 } systemd && Path.IsPathRooted(systemd))
            {
                return Path.Combine(systemd.Split(':')[0], "control.sock");
            }

            if (Privileged)
            {
                return "/run/kalki-edge/control.sock";
            }

            return string.IsNullOrEmpty(UserRuntimeDirectory)
                ? Path.Combine(TempPath, $"kalki-edge-{UserName}", "control.sock")
                : Path.Combine(UserRuntimeDirectory, "kalki-edge", "control.sock");
        }
    }
}
