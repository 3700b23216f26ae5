using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Sublayers;

/// <summary>One <see cref="SublayerAdapterSite"/> chosen for an adapter, with what a builder needs to size it.</summary>
/// <param name="Name">The site's module name, e.g. <c>model.layers.0.mlp_site</c>.</param>
/// <param name="Site">The site.</param>
/// <param name="Layer">Its layer index, when its name has one.</param>
/// <param name="Hidden">The width of the residual stream there.</param>
/// <param name="Dtype">The dtype of the layer's projections.</param>
/// <param name="Device">The device of the layer's projections.</param>
public sealed record SublayerTarget(string Name, SublayerAdapterSite Site, int? Layer, long Hidden, ScalarType Dtype, Device Device);
