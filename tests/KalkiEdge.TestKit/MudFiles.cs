namespace KalkiEdge.TestKit;

/// <summary>MUD files (RFC 8520) for tests, in the shape of the RFC's examples.</summary>
public static class MudFiles
{
    /// <summary>The device may open TCP to the echo service of 192.0.2.100 (and nothing else); its answers come back.</summary>
    public static string EchoOnly(string url, string systemInfo) => """
        {"ietf-mud:mud": {"mud-version": 1, "mud-url": "MUD-URL", "systeminfo": "SYSTEM-INFO",
           "from-device-policy": {"access-lists": {"access-list": [{"name": "from-device"}]}},
           "to-device-policy": {"access-lists": {"access-list": [{"name": "to-device"}]}}},
         "ietf-access-control-list:acls": {"acl": [
           {"name": "from-device", "aces": {"ace": [
             {"name": "echo", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "192.0.2.100/32"}, "tcp": {"destination-port": {"operator": "eq", "port": 7}}}, "actions": {"forwarding": "accept"}}]}},
           {"name": "to-device", "aces": {"ace": [
             {"name": "echo-answers", "matches": {"tcp": {"ietf-mud:direction-initiated": "from-device", "source-port": {"operator": "eq", "port": 7}}}, "actions": {"forwarding": "accept"}}]}}]}}
        """.Replace("MUD-URL", url, StringComparison.Ordinal).Replace("SYSTEM-INFO", systemInfo, StringComparison.Ordinal);
}
