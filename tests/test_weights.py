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


@pytest.mark.slow
def test_a_keras_weights_file_of_the_conv_base_loads(tmp_path, reference_base):
    path = tmp_path / "base.weights.h5"
    reference_base.save_weights(path)
    assert _same_weights(build_conv_base(str(path), 64), reference_base)


def test_the_official_notop_h5_layout_loads(tmp_path, reference_base):
    path = tmp_path / NOTOP_FILE
    with h5py.File(path, "w") as f:  # the layout of Keras's published VGG16 weights files
        legacy_h5_format.save_weights_to_hdf5_group(f, reference_base)
    assert _same_weights(build_conv_base(str(path), 48), reference_base)


def test_a_weights_file_that_is_not_hdf5_is_one_sentence_in_the_app_s_words(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"this is not HDF5")
    with pytest.raises(UserError, match="is not a Keras weights file") as raised:
        build_conv_base(str(path), 32)
    assert str(raised.value) == (
        f"Weights file {path} is not a Keras weights file (not HDF5); use {NOTOP_FILE} or a "
        ".weights.h5 saved from a VGG16 conv base."
    )  # nothing of h5py's "Unable to synchronously open file (file signature not found)"


def test_an_hdf5_file_with_a_user_block_is_taken_for_weights(tmp_path, reference_base):
    from ftgui.core.model.build import weights_file_problem

    path = tmp_path / "with-block.h5"
    with h5py.File(path, "w", userblock_size=512) as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference_base)
    assert weights_file_problem(path) is None
    assert _same_weights(build_conv_base(str(path), 48), reference_base)


def test_an_empty_hdf5_file_does_not_fit_the_conv_base(tmp_path):
    path = tmp_path / "empty.h5"
    h5py.File(path, "w").close()
    with pytest.raises(UserError, match=f"Weights file {path} (does not fit|left .* unset)"):
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
