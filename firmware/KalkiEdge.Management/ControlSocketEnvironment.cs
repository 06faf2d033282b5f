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
    /// The socket of the appliance whose data lives in <paramref name="dataDir"/> when its config names none. Under
    /// systemd the unit's RuntimeDirectory: the unit is the instance, and `sudo kalki-edge reset` finds it there.
    /// Run any other way (by hand, by tests and benches, several on one host in their own network namespaces, which
    /// share the filesystem): <c>DATA_DIR/control.sock</c>, because the data directory is what one appliance owns
    /// alone (its store, keys and accounts) and is already owner-only. Without a data directory: the standard path.
    /// </summary>
    public string ControlSocketFor(string? dataDir) =>
        SystemdSocket ?? (string.IsNullOrEmpty(dataDir) ? DefaultControlSocket : Path.Combine(dataDir, "control.sock"));

    /// <summary>
    /// systemd's RuntimeDirectory (the image's service: /run/kalki-edge; the first when several are listed),
    /// /run/kalki-edge for root, else the user's runtime directory, else a per-user directory in the temp path.
    /// The CLI's default when it is given no config: the service's socket.
    /// </summary>
    public string DefaultControlSocket
    {
        get
        {
            if (SystemdSocket is { } systemd)
            {
                return systemd;
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

    private string? SystemdSocket => RuntimeDirectory is { Length: > 0 } systemd && Path.IsPathRooted(systemd)
        ? Path.Combine(systemd.Split(':')[0], "control.sock")
        : null;
}
