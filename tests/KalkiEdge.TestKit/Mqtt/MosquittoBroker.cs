using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KalkiEdge.TestKit.Mqtt;

/// <summary>
/// A real Mosquitto (Debian's <c>mosquitto</c>, installed by <c>make test</c>) on a loopback port of its own: TLS
/// only, a client certificate required and its common name taken as the user name, anonymous clients refused, and
/// the test's ACL. With <c>passwords</c>, a second TLS listener (<see cref="PasswordPort"/>) takes user names and
/// passwords from a password file made by <c>mosquitto_passwd</c> instead of client certificates; the same ACL binds
/// both. <see cref="Stop"/> kills it (an outage), <see cref="Start"/> brings it back on the same ports.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly string _config;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string? _netns;
    private readonly string _address = "127.0.0.1";
    private Process? _process;

    public MosquittoBroker(string dir, TestPki pki, string acl, IReadOnlyDictionary<string, string>? passwords = null)
    {
        Port = FreePort();
        var (cert, key) = pki.Server();
        var passwordListener = passwords is null ? "" : PasswordListener(dir, pki, cert, key, passwords);
        var aclFile = System.IO.Path.Combine(dir, "acl");
        File.WriteAllText(aclFile, acl);
        _config = WriteConfig(dir, $"""
            cafile {pki.CaFile}
            certfile {cert}
            keyfile {key}
            require_certificate true
            use_identity_as_username true
            acl_file {aclFile}
            """ + "\n" + passwordListener);
        Start();
    }

    /// <summary>A broker as a site's devices use it: plain MQTT on loopback, one user with a password, no anonymous clients.</summary>
    public MosquittoBroker(string dir, string user, string password)
    {
        Port = FreePort();
        var passwords = PasswordFile(dir, new Dictionary<string, string> { [user] = password });
        _config = WriteConfig(dir, $"password_file {passwords}");
        Start();
    }

    /// <summary>
    /// A site's broker on the devices' side of a testbed: started in network namespace <paramref name="netns"/>, plain
    /// MQTT on <paramref name="address"/>:1883, one user with a password, no anonymous clients.
    /// </summary>
    public MosquittoBroker(string dir, string user, string password, string netns, string address)
    {
        _netns = netns;
        _address = address;
        Port = 1883;
        var passwords = PasswordFile(dir, new Dictionary<string, string> { [user] = password });
        _config = WriteConfig(dir, $"password_file {passwords}");
        Start();
    }

    private string WriteConfig(string dir, string listenerSettings)
    {
        var config = System.IO.Path.Combine(dir, "mosquitto.conf");
        File.WriteAllText(config, $"""
            per_listener_settings false
            allow_anonymous false
            persistence false
            user root
            log_dest stdout
            log_type error
            log_type warning
            log_type notice
            log_type information
            listener {Port.ToString(CultureInfo.InvariantCulture)} {_address}
            {listenerSettings}
            """ + "\n");
        return config;
    }

    /// <summary>
    /// The fleet tests' ACL: appliance gw-a owns fleet/gw-a/#; operators alice and bob may each write only their own
    /// command topic; mallory and watcher only read.
    /// </summary>
    public const string FleetAcl = """
        user gw-a
        topic readwrite fleet/gw-a/#
        user alice
        topic write fleet/+/commands/alice
        topic read fleet/#
        user bob
        topic write fleet/+/commands/bob
        topic read fleet/#
        user mallory
        topic read fleet/#
        user watcher
        topic read fleet/#

        """;

    /// <summary>The client-certificate listener.</summary>
    public int Port { get; }

    /// <summary>The user-name-and-password listener (TLS, no client certificate); 0 without <c>passwords</c>.</summary>
    public int PasswordPort { get; private set; }

    /// <summary>Where a client that signs in with a password connects.</summary>
    public string PasswordEndpoint => $"127.0.0.1:{PasswordPort.ToString(CultureInfo.InvariantCulture)}";

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string Log => string.Join('\n', _log);

    public bool Running => _process is { HasExited: false };

    /// <summary>Starts the broker and waits (bounded) until every listener accepts connections.</summary>
    public void Start()
    {
        var psi = new ProcessStartInfo(_netns is null ? "mosquitto" : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // In another namespace readiness and clients are read from the log: line-buffered, or it arrives in 4 KiB blocks.
        foreach (var a in (string[])[.. _netns is null ? [] : new[] { "netns", "exec", _netns, "stdbuf", "-oL", "mosquitto" }, "-c", _config])
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start (make test installs Debian's mosquitto)");
        _process.OutputDataReceived += (_, e) => _log.Enqueue(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => _log.Enqueue(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}:\n{Log}");
            }

            if (_netns is not null)
            {
                // Another namespace: this process cannot connect there; the broker says when it listens.
                if (Listens(Port) && (PasswordPort == 0 || Listens(PasswordPort)))
                {
                    return;
                }

                Thread.Sleep(50);
                continue;
            }

            // Every listener: mosquitto opens them one after the other, and a client of the second one connecting
            // as soon as the first accepted was refused.
            if (Accepts(Port) && (PasswordPort == 0 || Accepts(PasswordPort)))
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"mosquitto did not listen on {Port} within 20 s:\n{Log}");
    }

    private bool Listens(int port) => _log.Any(l => l.Contains($"listen socket on port {port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal));

    private static bool Accepts(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Kills the broker (SIGKILL: no goodbye to its clients, as a crash or a pulled cable).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Freezes the broker (SIGSTOP): its sockets stay open and it answers nothing, as a broker that hangs.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>Lets a paused broker run on (SIGCONT): it then reads what its clients sent meanwhile.</summary>
    public void Resume() => Signal("-CONT");

    public void Dispose() => Stop();

    private void Signal(string signal)
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", [signal, p.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit(10_000);
        }
    }

    /// <summary>The password file (hashed by <c>mosquitto_passwd -b</c>, as a site makes it) and a listener that uses it.</summary>
    private string PasswordListener(string dir, TestPki pki, string cert, string key, IReadOnlyDictionary<string, string> passwords)
    {
        PasswordPort = FreePort();
        var file = PasswordFile(dir, passwords);

        // Global (per_listener_settings false): users of the certificate listener never reach the password check.
        return $"""
            password_file {file}
            listener {PasswordPort.ToString(CultureInfo.InvariantCulture)} 127.0.0.1
            cafile {pki.CaFile}
            certfile {cert}
            keyfile {key}
            require_certificate false
            """ + "\n";
    }

    /// <summary>A Mosquitto password file with every user, hashed by <c>mosquitto_passwd -b</c> (as a site makes it).</summary>
    private static string PasswordFile(string dir, IReadOnlyDictionary<string, string> passwords)
    {
        var file = System.IO.Path.Combine(dir, "passwords");
        File.WriteAllText(file, "");
        foreach (var (user, password) in passwords)
        {
            var psi = new ProcessStartInfo("mosquitto_passwd") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var a in new[] { "-b", file, user, password })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_passwd did not start");
            if (!p.WaitForExit(10_000) || p.ExitCode != 0)
            {
                throw new InvalidOperationException($"mosquitto_passwd failed for '{user}': {p.StandardError.ReadToEnd()}");
            }
        }

        return file;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
