namespace Isa.Runtime.Linux;

/// <summary>
/// How the emulator starts itself again for a guest's fork and execve (the .NET runtime cannot
/// fork itself): its own entry (the executable, plus the isa.dll path when run by dotnet) and its
/// <c>run</c> subcommand with the options a child must share (engine, sysroot, strace). The runtime
/// appends one of the hidden options below and what follows it.
/// </summary>
/// <param name="Command">The argv prefix, e.g. <c>/usr/bin/dotnet /x/isa.dll run --engine interp --sysroot /s</c>; [0] is an absolute path.</param>
public sealed record GuestLauncher(IReadOnlyList<string> Command)
{
    /// <summary><c>--resume-fork FD</c>: restore the fork snapshot in the inherited fd and run the child.</summary>
    public const string ResumeForkOption = "--resume-fork";

    /// <summary><c>--inherit-fds G:H:C,...</c>: guest fd G is inherited host fd H (C = 1 if close-on-exec).</summary>
    public const string InheritFdsOption = "--inherit-fds";

    /// <summary><c>--argv0 NAME</c>: the guest's argv[0] when it differs from the program path (execve).</summary>
    public const string Argv0Option = "--argv0";

    /// <summary>
    /// <c>--signal-state IGNORED:BLOCKED</c>: what execve keeps of the signal state (the ignored
    /// dispositions and the mask), as two 128-bit guest signal sets in hex.
    /// </summary>
    public const string SignalStateOption = "--signal-state";

    public static string FormatSignalState(UInt128 ignored, UInt128 blocked) => $"{ignored:x}:{blocked:x}";

    /// <summary>Parses <see cref="FormatSignalState"/>; throws <see cref="FormatException"/> on bad input.</summary>
    public static (UInt128 Ignored, UInt128 Blocked) ParseSignalState(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 2
            || !UInt128.TryParse(parts[0], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out UInt128 ignored)
            || !UInt128.TryParse(parts[1], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out UInt128 blocked))
        {
            throw new FormatException($"'{text}' is not IGNORED:BLOCKED in hex");
        }

        return (ignored, blocked);
    }

    public static string FormatFds(IEnumerable<(int Guest, int Host, bool CloseOnExec)> fds)
        => string.Join(',', fds.Select(f => $"{f.Guest}:{f.Host}:{(f.CloseOnExec ? 1 : 0)}"));

    /// <summary>Parses <see cref="FormatFds"/>; throws <see cref="FormatException"/> on bad input.</summary>
    public static List<(int Guest, int Host, bool CloseOnExec)> ParseFds(string text)
    {
        var fds = new List<(int, int, bool)>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = item.Split(':');
            if (parts.Length != 3 || !int.TryParse(parts[0], out int guest) || !int.TryParse(parts[1], out int host) || guest < 0 || host < 0 || parts[2] is not ("0" or "1"))
            {
                throw new FormatException($"'{item}' is not GUEST:HOST:CLOEXEC");
            }

            fds.Add((guest, host, parts[2] == "1"));
        }

        return fds;
    }

    /// <summary>This process's environment as NAME=VALUE strings.</summary>
    public static List<string> HostEnvironment()
        => Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").Order(StringComparer.Ordinal).ToList();
}
