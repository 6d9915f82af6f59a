/* Nothing: the layer check's shared objects are made of one layer library each
 * (cmake/A0ipcLayers.cmake). A translation unit of its own keeps the target valid. */
typedef int a0ipc_layer_check_unit;
