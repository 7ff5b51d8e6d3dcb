"""The Qt-free VGG16 description and layer plans agree with Keras and with the book."""

import keras
import pytest

from ftgui.core.errors import UserError
from ftgui.core.model.build import build_model, compile_phase, conv_base
from ftgui.core.settings.config import PhaseConfig, book_phases
from ftgui.core.settings.layer_plan import LayerPlan
from ftgui.core.settings.vgg16 import layer_names, vgg16_layers


@pytest.fixture(scope="module")
def model_64px_3_classes():
    return build_model(num_classes=3, image_size=64, weights="none")


def test_layer_descriptions_match_keras_vgg16(model_64px_3_classes):
    base = conv_base(model_64px_3_classes)
    keras_layers = [layer for layer in base.layers if layer.name in layer_names()]
    ours = vgg16_layers(64)
    assert [layer.name for layer in keras_layers] == [layer.name for layer in ours]
    for theirs, mine in zip(keras_layers, ours, strict=True):
        assert theirs.output.shape[1:] == mine.output_shape
        assert theirs.count_params() == mine.params
        assert type(theirs).__name__ == mine.kind


def test_parameter_totals_match_the_book():
    plan = LayerPlan(image_size=150, num_classes=2)
    assert sum(layer.params for layer in plan.layers) == 14_714_688
    assert sum(layer.params for layer in plan.layers if layer.block == 5) == 7_079_424
    # Book §5.3.1: 2,097,665 trainable with the base frozen; 16,812,353 in all.
    assert plan.trainable_params == 2_097_665
    assert plan.total_params == 16_812_353


def test_unfreeze_from_trains_that_layer_and_everything_above_it():
    plan = LayerPlan()
    plan.unfreeze_from("block5_conv1")
    assert plan.ordered_trainable() == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
        "block5_pool",
    ]
    plan.unfreeze_from("block4_conv3")
    assert plan.ordered_trainable()[0] == "block4_conv3"
    assert not plan.is_trainable("block4_conv2")
    plan.freeze_all()
    assert plan.ordered_trainable() == []


def test_toggling_one_layer_changes_the_totals_by_its_parameters():
    plan = LayerPlan()
    before = plan.trainable_params
    plan.set_trainable("block3_conv2", True)
    assert plan.trainable_params - before == 3 * 3 * 256 * 256 + 256
    plan.set_trainable("block3_conv2", False)
    assert plan.trainable_params == before


def test_unknown_layer_names_are_refused_with_the_choices():
    with pytest.raises(UserError, match="block6_conv1.*block1_conv1 to block5_pool"):
        LayerPlan().unfreeze_from("block6_conv1")
    plan = LayerPlan()
    with pytest.raises(UserError, match="Unknown layer 'block6_conv1'"):
        plan.set_trainable("block6_conv1", True)
    assert plan.ordered_trainable() == []


@pytest.mark.parametrize("phase", book_phases(), ids=lambda p: p.name)
def test_plan_totals_equal_what_keras_counts_after_compiling(model_64px_3_classes, phase):
    compile_phase(model_64px_3_classes, phase, num_classes=3)
    plan = LayerPlan(64, 3, set(phase.trainable_layers))
    trainable = sum(keras.ops.size(w) for w in model_64px_3_classes.trainable_weights)
    frozen = sum(keras.ops.size(w) for w in model_64px_3_classes.non_trainable_weights)
    assert (int(trainable), int(frozen)) == (plan.trainable_params, plan.non_trainable_params)


def test_a_phase_with_custom_layers_freezes_exactly_the_others(model_64px_3_classes):
    phase = PhaseConfig("custom", 1, 1e-4, trainable_layers=["block1_conv1", "block5_conv3"])
    compile_phase(model_64px_3_classes, phase, num_classes=3)
    base = conv_base(model_64px_3_classes)
    trainable = {layer.name for layer in base.layers if layer.trainable and layer.weights}
    assert trainable == {"block1_conv1", "block5_conv3"}


def test_augmentation_is_random_in_training_and_inactive_otherwise():
    import numpy as np

    model = build_model(num_classes=2, image_size=32, weights="none", augment=True)
    augment = model.get_layer("augmentation")
    pixels = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    assert np.array_equal(augment(pixels, training=False), pixels)
    assert not np.allclose(augment(pixels, training=True), pixels)
    assert [type(layer).__name__ for layer in augment.layers] == [
        "RandomRotation",
        "RandomTranslation",
        "RandomShear",
        "RandomZoom",
        "RandomFlip",
    ]
