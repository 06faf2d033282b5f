namespace KalkiEdge.ReplayTests;

/// <summary>
/// Device names, MACs and IPs in the site config: only a safe name set, canonical address forms and unicast
/// addresses are accepted, each refusal with its line; no partial value causes a second, false error.
/// </summary>
public class DeviceIdentityCheckTests
{
    [Test]
    public void Unsafe_names_lenient_addresses_and_non_unicast_ips_are_refused_at_their_line()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, """
            devices:
              - {name: "cam\e[31mRED", mac: "02:00:00:00:00:01", chain: pass}
              - {name: "two\nlines", mac: "02:00:00:00:00:02", chain: pass}
              - {name: "a/b", mac: "02:00:00:00:00:03", chain: pass}
              - {name: "-dash", mac: "02:00:00:00:00:04", chain: pass}
              - {name: ok1, mac: "02:00:00:00:00:05", ip: "2130706433", chain: pass}
              - {name: ok2, mac: "02:00:00:00:00:06", ip: "0x7f000001", chain: pass}
              - {name: ok3, mac: "02:00:00:00:00:07", ip: "1.2.3", chain: pass}
              - {name: ok4, mac: "02:00:00:00:00:08", ip: "224.0.0.1", chain: pass}
              - {name: ok5, mac: "02:00:00:00:00:09", ip: "fe80::1%eth0", chain: pass}
              - {name: ok6, mac: "02:00:00:00:00:0a", ip: "255.255.255.255", chain: pass}
              - {name: ok7, mac: "02:00:00:00:00:0b", ip: "ff02::1", chain: pass}
              - {name: bad-mac-1, mac: "02:00:00:00:00:0c:ff", chain: pass}
              - {name: bad-mac-2, mac: "02:00:00:00:00:0c:ff", chain: pass}
              - {name: bad-mac-3, mac: "2:0:0:0:0:d", chain: pass}
              - {name: good.device_1, mac: "02-00-00-00-00-0e", ip: ["192.0.2.14", "2001:db8::14", "fe80::14"], chain: pass}
            """);

        var r = KalkiEdgeCli.Run("check", "--config", config);

        Assert.That(r.ExitCode, Is.EqualTo(1));
        var errors = r.Stderr.Split('\n').Where(l => l.Contains(": error: ", StringComparison.Ordinal)).ToList();
        for (int line = 2; line <= 5; line++)
        {
            Assert.That(errors, Has.Some.StartsWith($"{config}:{line}:").And.Contain("is not allowed: use a letter or digit"), $"line {line}");
        }

        for (int line = 6; line <= 12; line++)
        {
            Assert.That(errors, Has.Some.StartsWith($"{config}:{line}:").And.Contain("is not a unicast IP address"), $"line {line}");
        }

        for (int line = 13; line <= 15; line++)
        {
            Assert.That(errors, Has.Some.StartsWith($"{config}:{line}:").And.Contain("is not a unicast MAC address"), $"line {line}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.None.StartsWith($"{config}:16:"), "the valid device");
            Assert.That(errors, Has.None.Contain("is given to"), "a MAC that failed to parse is not a duplicate of another");
            Assert.That(r.Stderr, Does.Not.Contain("\u001b"), "no raw escape reaches the terminal");
            Assert.That(r.Stderr, Does.Contain(@"cam\u{001b}[31mRED").And.Contain(@"two\nlines"));
            Assert.That(errors, Has.Count.EqualTo(14), string.Join("\n", errors));
        });
    }
}
