using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Tells whether two tensor objects are the same tensor: tied weights reach <c>state_dict()</c> as
/// distinct <c>Parameter</c> objects with distinct native handles, but one storage. Two tensors are
/// the same when they view the same storage at the same offset with the same shape, strides and dtype.
/// </summary>
internal static class TensorIdentity
{
    /// <summary>A value equal for two tensors exactly when they are views of the same memory, alike.</summary>
    internal readonly record struct Key(IntPtr Storage, long Offset, string Shape, string Strides, ScalarType Dtype, string Device);

    /// <summary>
    /// The identity key of <paramref name="tensor"/>, or null when it has no storage to compare
    /// (no elements): such tensors are only ever the same as themselves.
    /// </summary>
    internal static Key? Of(Tensor tensor)
    {
        if (tensor.numel() == 0)
            return null;
        // TorchSharp exposes a storage's address only through typed Storage<T> wrappers that convert
        // other dtypes (a copy), so ask the native library TorchSharp itself loaded; the runtime's
        // native-library hooks (TorchRuntime) resolve this import exactly as they resolve TorchSharp's.
        var storage = THSStorage_data_ptr(tensor.Handle);
        if (storage == IntPtr.Zero)
            return null;
        return new Key(storage, tensor.storage_offset(), ShapeText.Format(tensor.shape), ShapeText.Format(tensor.stride()),
            tensor.dtype, tensor.device.ToString());
    }

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSStorage_data_ptr(IntPtr tensor);
}
