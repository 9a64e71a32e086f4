//! Datasets: the compact binary image format shared by the native tools and the page.
