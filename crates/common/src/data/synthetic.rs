//! Synthetic data: the chapter's circle (`make_toy_data`: 2-D standard normal, label
//! `x0² + x1² > 1`), moons, spirals and Gaussian blobs, any size, with optional extra noise
//! features for scale tests.
