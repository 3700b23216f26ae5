using System.Runtime.CompilerServices;

namespace MMAdapt.Tests;

internal static class TestSetup
{
    // Tests may call TorchSharp before any MMAdapt type; install the native-loading hooks first.
    [ModuleInitializer]
    internal static void Init() => MMAdapt.Core.Native.TorchRuntime.Install();
}
