using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Resident memory of the real `kalki-edge run` (a site config without interfaces: idle, management up) with the
/// dashboard in use: the administrator set up and signed in, 10 live-event clients, the overview, every device's
/// page and /metrics fetched. 1,000 devices under packs against 10 (same run).
/// </summary>
internal static partial class DashboardMemory
{
    private const int LiveClients = 10;

    public static void Run(SuiteReport report)
    {
        var dir = Directory.CreateTempSubdirectory("kalki-bench-dashmem-");
        try
        {
            var small = Measure(dir.FullName, 10);
            var large = Measure(dir.FullName, 1_000);
            report.Add("`run` with the dashboard in use, 10 devices (baseline)", small / 1e6, "MB", $"steady RSS after sign-in, {LiveClients} live clients, every page fetched");
            report.Add("`run` with the dashboard in use, 1,000 devices", large / 1e6, "MB", "the memory suite reports `replay` at 10,000 devices beside it");
            report.Add("added per device", (large - small) / 990.0 / 1e3, "KB/device");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static long Measure(string dir, int devices)
    {
        var site = Path.Combine(dir, $"site-{devices}");
        Directory.CreateDirectory(site);
        var port = FreePort();
        var config = Path.Combine(site, "kalki.yaml");
        File.WriteAllText(config, MemorySuite.Config(TrafficMix.Build(devices, 1), Path.Combine(RepoPaths.Root, "umboxes"))
            + $"data-dir: {Path.Combine(site, "data")}\nmanagement: {{listen: \"127.0.0.1:{port}\", control-socket: {Path.Combine(site, "control.sock")}}}\n");
        using var p = Process.Start(Firmware.StartInfo("run", "--config", config))!;
        var errors = p.StandardError.ReadToEndAsync();
        try
        {
            string? token = null;
            var deadline = Stopwatch.StartNew();
            while (token is null && deadline.Elapsed < TimeSpan.FromMinutes(3) && p.StandardOutput.ReadLine() is { } line)
            {
                token = SetupLink().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
            }

            if (token is null)
            {
                throw new InvalidOperationException($"kalki-edge run printed no setup link for {devices} devices: {(p.HasExited ? errors.Result : "still running")}");
            }

            _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            return UseDashboard(new Uri($"http://127.0.0.1:{port}"), token, devices, p.Id).GetAwaiter().GetResult();
        }
        finally
        {
            p.Kill();
            p.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    private static async Task<long> UseDashboard(Uri address, string setupToken, int devices, int pid)
    {
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address };
        (await browser.PostAsJsonAsync("/api/setup", new { username = "bench", password = "bench password 1234", token = setupToken })).EnsureSuccessStatusCode();
        (await browser.PostAsJsonAsync("/api/login", new { username = "bench", password = "bench password 1234" })).EnsureSuccessStatusCode();
        var streams = new List<Stream>();
        for (int i = 0; i < LiveClients; i++)
        {
            streams.Add(await browser.GetStreamAsync("/api/events"));
        }

        var overview = await browser.GetFromJsonAsync<JsonElement>("/api/overview");
        foreach (var device in overview.GetProperty("devices").EnumerateArray())
        {
            (await browser.GetAsync($"/api/devices/{device.GetProperty("name").GetString()}")).EnsureSuccessStatusCode();
        }

        (await browser.GetAsync("/metrics")).EnsureSuccessStatusCode();
        if (overview.GetProperty("devices").GetArrayLength() != devices)
        {
            throw new InvalidOperationException($"the overview lists {overview.GetProperty("devices").GetArrayLength()} devices, not {devices}");
        }

        // Steady state: the last of ten samples a second apart, with the clients still connected.
        long rss = 0;
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(1000);
            rss = MemorySuite.Status(pid).Rss;
        }

        foreach (var s in streams)
        {
            await s.DisposeAsync();
        }

        return rss;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"/setup\?token=([A-Za-z0-9_\-]+)")]
    private static partial Regex SetupLink();
}
