namespace KalkiEdge.Hypervisor;

/// <summary>Status codes of libkalkishim (<c>ks_status_t</c>); the native library has the message texts.</summary>
public enum ShimStatus
{
    Ok = 0,
    InvalidArgument = -1,
    TooLarge = -2,
    PcrIndex = -3,
    NoMemory = -4,
    NotOptedIn = -5,
    DeviceAbsent = -6,
    DeviceOpen = -7,
    DeviceIo = -8,
    NoResult = -9,
    SelfTestFailed = -10,
    VerifyMismatch = -11,
    KeyFile = -12,
    KeyPermissions = -13,
    KeyFormat = -14,
    Entropy = -15,
    UnknownFunction = -16,
    BadBuffer = -17,
    NotProbed = -18,
    Internal = -19,
    NotUhcallDevice = -20,
}
