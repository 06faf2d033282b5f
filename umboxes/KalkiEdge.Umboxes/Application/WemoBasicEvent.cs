namespace KalkiEdge.Umboxes.Application;

/// <summary>The WeMo basicevent actions the decoy understands.</summary>
internal enum WemoAction : byte
{
    /// <summary>Another action of the service (or none recognizable): answered with a UPnP fault.</summary>
    Unknown,
    GetBinaryState,
    SetBinaryState,
}

/// <summary>
/// The Belkin WeMo UPnP "basicevent" control protocol (SOAP over HTTP): recognizes Get/SetBinaryState requests
/// and writes the plug's answers, as captured from real devices, without allocating.
/// </summary>
internal static class WemoBasicEvent
{
    /// <summary>UPnP error codes used in faults (UPnP Device Architecture 1.0, 3.2.2).</summary>
    public const int InvalidAction = 401;
    public const int InvalidArgs = 402;

    /// <summary>The action named by the SOAPACTION header, or else by the first element of the body.</summary>
    public static WemoAction Identify(in HttpRequestHead head)
    {
        if (head.TryGetHeader("SOAPACTION"u8, out var soapAction))
        {
            return Name(soapAction.Trim((byte)'"'), '#');
        }

        return head.Body.IndexOf(":SetBinaryState"u8) >= 0 ? WemoAction.SetBinaryState
            : head.Body.IndexOf(":GetBinaryState"u8) >= 0 ? WemoAction.GetBinaryState
            : WemoAction.Unknown;
    }

    /// <summary>The requested state (0 or 1) in a SetBinaryState body, or -1 if there is none.</summary>
    public static int RequestedState(ReadOnlySpan<byte> body)
    {
        int open = body.IndexOf("<BinaryState>"u8);
        if (open < 0)
        {
            return -1;
        }

        var value = Ascii.Trim(body[(open + "<BinaryState>"u8.Length)..]);
        return value.Length >= 2 && value[0] is ((byte)'0' or (byte)'1') && value[1] == (byte)'<' ? value[0] - '0' : -1;
    }

    /// <summary>Writes the HTTP response for an action's result: 200 with the state, or 500 with a UPnP fault.</summary>
    public static void WriteResponse(ref ByteWriter w, WemoAction action, int state, int faultCode)
    {
        Span<byte> body = stackalloc byte[768];
        var b = new ByteWriter(body);
        b.Write("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>\r\n"u8);
        if (faultCode == 0)
        {
            var name = action == WemoAction.SetBinaryState ? "SetBinaryStateResponse"u8 : "GetBinaryStateResponse"u8;
            b.Write("<u:"u8);
            b.Write(name);
            b.Write(" xmlns:u=\"urn:Belkin:service:basicevent:1\">\r\n<BinaryState>"u8);
            b.Write(state);
            b.Write("</BinaryState>\r\n</u:"u8);
            b.Write(name);
            b.Write(">\r\n"u8);
        }
        else
        {
            b.Write("<s:Fault>\r\n<faultcode>s:Client</faultcode>\r\n<faultstring>UPnPError</faultstring>\r\n<detail>\r\n<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">\r\n<errorCode>"u8);
            b.Write(faultCode);
            b.Write("</errorCode>\r\n<errorDescription>"u8);
            b.Write(faultCode == InvalidAction ? "Invalid Action"u8 : "Invalid Args"u8);
            b.Write("</errorDescription>\r\n</UPnPError>\r\n</detail>\r\n</s:Fault>\r\n"u8);
        }

        b.Write("</s:Body> </s:Envelope>"u8);

        w.Write(faultCode == 0 ? "HTTP/1.1 200 OK\r\n"u8 : "HTTP/1.1 500 Internal Server Error\r\n"u8);
        w.Write("CONTENT-LENGTH: "u8);
        w.Write(b.Length);
        w.Write("\r\nCONTENT-TYPE: text/xml; charset=\"utf-8\"\r\nEXT:\r\nSERVER: Unspecified, UPnP/1.0, Unspecified\r\nConnection: close\r\n\r\n"u8);
        w.Write(b.Written);
    }

    private static WemoAction Name(ReadOnlySpan<byte> soapAction, char separator)
    {
        int at = soapAction.LastIndexOf((byte)separator);
        var name = at < 0 ? soapAction : soapAction[(at + 1)..];
        return name.SequenceEqual("SetBinaryState"u8) ? WemoAction.SetBinaryState
            : name.SequenceEqual("GetBinaryState"u8) ? WemoAction.GetBinaryState
            : WemoAction.Unknown;
    }
}
