"""Loading conv-base weights: Keras files, the official legacy .h5 layout, and bad files."""

import h5py
import keras
import numpy as np
import pytest
from keras.applications import VGG16
from keras.src.applications import vgg16 as keras_vgg16
from keras.src.legacy.saving import legacy_h5_format

from ftgui.core.errors import UserError
from ftgui.core.model.build import NOTOP_FILE, build_conv_base, imagenet_cache_path


@pytest.fixture(scope="module")
def reference_base():
    keras.utils.set_random_seed(99)
    return VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))


def _same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


def test_a_keras_weights_file_of_the_conv_base_loads(tmp_path, reference_base):
    path = tmp_path / "base.weights.h5"
    reference_base.save_weights(path)
    assert _same_weights(build_conv_base(str(path), 64), reference_base)


def test_the_official_notop_h5_layout_loads(tmp_path, reference_base):
    path = tmp_path / NOTOP_FILE
    with h5py.File(path, "w") as f:  # the layout of Keras's published VGG16 weights files
        legacy_h5_format.save_weights_to_hdf5_group(f, reference_base)
    assert _same_weights(build_conv_base(str(path), 48), reference_base)


def test_an_unreadable_weights_file_is_one_sentence(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"this is not HDF5")
    with pytest.raises(UserError, match=f"Weights file {path} does not fit the VGG16 conv base"):
        build_conv_base(str(path), 32)


def test_weights_of_another_architecture_are_refused(tmp_path):
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="block1_conv1")])
    path = tmp_path / "other.weights.h5"
    other.save_weights(path)
    with pytest.raises(UserError, match="does not fit the VGG16 conv base|left .* unset"):
        build_conv_base(str(path), 32)


def test_a_missing_weights_file_is_named(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        build_conv_base(str(tmp_path / "nope.h5"), 32)


def test_imagenet_offline_names_the_cache_path_and_the_file_option(monkeypatch):
    monkeypatch.setattr(keras_vgg16, "WEIGHTS_PATH_NO_TOP", "http://127.0.0.1:9/vgg16_notop.h5")
    with pytest.raises(UserError) as caught:
        build_conv_base("imagenet", 32)
    message = str(caught.value)
    assert str(imagenet_cache_path().parent) in message
    assert "--weights FILE" in message and "\n" not in message
